"""The profile list and the admin's profiles sorted by name: alphabetical order, case and
accents aside (Á with A, É with E, Ł with L, "van der Veiver" with the Vs), where the
columns' own collation (C: bytes) put every capital first and accented letters after z;
pages by keyset across the order's boundaries, read from the collated index."""

import html
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import keyset
from profiles.models import Profile
from tests.factories import ProfileFactory
from web.profiles.views.listing import SORTS

pytestmark = pytest.mark.django_db
URL = reverse("profiles:list")
ADMIN_URL = reverse("admin:profiles_profile_changelist")
PER_PAGE = 3
# (last name, first name) in alphabetical order; the database's bytes order them
# Berg, Zola, adams, van der Veiver, Águila, Étienne, Łuszczyk.
ALPHABETICAL = [
    ("adams", "Carl"),
    ("Águila", "Rosa"),
    ("Berg", "anna"),
    ("Berg", "Émile"),
    ("Étienne", "Paul"),
    ("Łuszczyk", "Jan"),
    ("van der Veiver", "Mia"),
    ("Zola", "Émile"),
]
LINK_RE = re.compile(r'<a href="([^"]*)"[^>]*>([^<]*)</a>')


@pytest.fixture
def named(database):
    """The profiles of ``ALPHABETICAL``, made in another order."""
    for last_name, first_name in sorted(ALPHABETICAL, key=lambda name: name[::-1]):
        ProfileFactory(database=database, last_name=last_name, first_name=first_name)


def names(profiles):
    return [(profile.last_name, profile.first_name) for profile in profiles]


# -- The list -------------------------------------------------------------------------------


def list_pages(client, params, direction, cursor):
    """Follow "Next" (``after``) or "Previous" (``before``) from a cursor to the end."""
    pages = []
    while cursor:
        response = client.get(URL, {**params, direction: cursor})
        assert response.status_code == 200
        pages.append(names(response.context["profiles"]))
        page = response.context["page"]
        more = page.has_next if direction == "after" else page.has_previous
        cursor = (page.last_cursor if direction == "after" else page.first_cursor) if more else ""
    return pages


@pytest.mark.parametrize(
    ("sort", "expected"), [("name", ALPHABETICAL), ("-name", ALPHABETICAL[::-1])]
)
def test_the_list_sorted_by_name_is_alphabetical_across_its_pages(
    client, bob, named, monkeypatch, sort, expected
):
    monkeypatch.setattr("web.profiles.views.listing.PAGE_SIZE", PER_PAGE)
    client.force_login(bob)
    params = {"sort": sort}

    first = client.get(URL, params)
    forward = [
        names(first.context["profiles"]),
        *list_pages(client, params, "after", first.context["page"].last_cursor),
    ]
    last = client.get(URL, {**params, "after": first.context["page"].last_cursor})
    last = client.get(URL, {**params, "after": last.context["page"].last_cursor})
    backward = list_pages(client, params, "before", last.context["page"].first_cursor)

    assert [len(page) for page in forward] == [3, 3, 2]
    assert [name for page in forward for name in page] == expected
    assert backward == forward[:2][::-1]


# -- The admin ------------------------------------------------------------------------------


def shown(response):
    return names(response.context["cl"].result_list)


def admin_links(response):
    paginator = response.content.decode().split('<p class="paginator">')[1].split("</p>")[0]
    return {text.strip(): html.unescape(href) for href, text in LINK_RE.findall(paginator)}


def admin_pages(client, response, label):
    """Follow the ``label`` link page after page; return the pages and the last response."""
    pages = [shown(response)]
    while label in admin_links(response):
        response = client.get(ADMIN_URL + admin_links(response)[label])
        assert response.status_code == 200
        assert [str(message) for message in response.context["messages"]] == []
        pages.append(shown(response))
    return pages, response


@pytest.mark.parametrize(
    ("descending", "expected"), [(False, ALPHABETICAL), (True, ALPHABETICAL[::-1])]
)
def test_the_admin_sorted_by_name_is_alphabetical_across_its_pages(
    client, alice, named, monkeypatch, descending, expected
):
    monkeypatch.setattr(admin.site._registry[Profile], "list_per_page", PER_PAGE)
    client.force_login(alice)
    column = client.get(ADMIN_URL).context["cl"].list_display.index("name")

    first = client.get(ADMIN_URL, {"o": f"{'-' if descending else ''}{column}"})
    forward, last = admin_pages(client, first, "Next \u203a")
    backward, top = admin_pages(client, last, "\u2039 Previous")

    assert first.context["cl"].keyset_order is not None  # paged by keyset
    assert [len(page) for page in forward] == [3, 3, 2]
    assert [name for page in forward for name in page] == expected
    assert [name for page in reversed(backward) for name in page] == expected
    assert shown(top) == expected[:PER_PAGE]


# -- Read from the index --------------------------------------------------------------------


def plan_of(sql):
    """Return the plan of a captured statement (its parameters written in)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.parametrize("descending", [False, True])
def test_a_page_by_name_is_read_from_the_alphabetical_index_without_sorting(named, descending):
    fields = SORTS["name"]
    position = [*ALPHABETICAL[3], Profile.objects.order_by("id").values_list("id")[0][0]]
    for after in (None, position):  # the first page, and one after a cursor
        with CaptureQueriesContext(connection) as queries:
            keyset.page(Profile.objects.all(), fields, descending=descending, after=after, size=2)
        plan = plan_of(queries.captured_queries[-1]["sql"])
        assert "profile_name_alphabetical" in plan, plan
        assert not re.search(r"\bSort\b|TEMP B-TREE", plan), plan
