"""Every changelist that pages by keyset (core.admin.KeysetChangeList), in its default order
and in every order its admin offers, both ways, shows each of its rows once as "Next" and
"Previous" walk it, one row a page: the cursor of every kind of column (ids, relations'
ids, times, texts, UUIDs) goes into the link and comes back out as the same position.
"""

import html
import re

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse

from core.admin import KeysetPagesMixin

pytestmark = pytest.mark.gates

LINK_RE = re.compile(r'<a href="([^"]*)"[^>]*>([^<]*)</a>')
KEYSET_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, KeysetPagesMixin)
    ),
    key=lambda pair: pair[0]._meta.label,
)


def orders(model_admin):
    """(column, descending) of every order offered, the default order as (None, None)."""
    offered = model_admin.keyset_orders or {}
    return [(None, None)] + [(c, d) for c in offered for d in (False, True)]


CASES = [
    (model, column, descending)
    for model, model_admin in KEYSET_ADMINS
    for column, descending in orders(model_admin)
]


def links(response):
    paginator = response.content.decode().split('<p class="paginator">')[1].split("</p>")[0]
    return {text.strip(): html.unescape(href) for href, text in LINK_RE.findall(paginator)}


def shown(response):
    return [row.pk for row in response.context["cl"].result_list]


def walk(client, url, response, labels):
    pages = [shown(response)]
    while label := next((label for label in labels if label in links(response)), None):
        response = client.get(url + links(response)[label])
        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == []
        pages.append(shown(response))
    return pages, response


@pytest.mark.parametrize(
    ("model", "column", "descending"),
    CASES,
    ids=[f"{m._meta.label}-{c or 'default'}{'-desc' if d else ''}" for m, c, d in CASES],
)
def test_every_offered_order_walks_every_row_once_both_ways(
    client, world, db, monkeypatch, model, column, descending
):
    model_admin = admin.site._registry[model]
    monkeypatch.setattr(model_admin, "list_per_page", 1)
    client.force_login(world.users["alice"])
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with transaction.atomic():
        first = client.get(url)
        cl = first.context["cl"]
        params = {}
        if column is not None:
            params["o"] = f"{'-' if descending else ''}{cl.list_display.index(column)}"
            first = client.get(url, params)
        cl = first.context["cl"]
        expected = list(cl.queryset.values_list("pk", flat=True))

        forward, last = walk(client, url, first, ["Next \u203a", "Older \u203a"])
        backward, top = walk(client, url, last, ["\u2039 Previous", "\u2039 Newer"])
        transaction.set_rollback(True)

    assert len(expected) >= 2, "too few rows to page"
    assert cl.keyset_order is not None  # paged by keyset
    assert cl.sort == ((column, descending) if column else None)  # in this order
    assert [str(m) for m in first.context["messages"]] == []
    assert [pk for page in forward for pk in page] == expected
    assert [pk for page in reversed(backward) for pk in page] == expected
    assert shown(top) == expected[:1]
