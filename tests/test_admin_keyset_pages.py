"""The changelists of profiles, subscriptions and events, in their default order (newest
first by the primary key), page by the key: "Older" and "Newer" carry the last and the
first id shown, and a page is one range of the key's index however deep (issue 15)."""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from history.models import Event
from profiles.models import Profile
from subscriptions.models import Subscription
from tests.factories import EventFactory, ProfileFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
PER_PAGE = 2
ROWS = 7
OLDER, NEWER = "Older \u203a", "\u2039 Newer"  # OLDER, NEWER
LINK_RE = re.compile(r'<a href="([^"]*)"[^>]*>([^<]*)</a>')


def make_profiles(database):
    return ProfileFactory.create_batch(ROWS, database=database)


def make_subscriptions(database):
    return [SubscriptionFactory(profile=ProfileFactory(database=database)) for _ in range(ROWS)]


def make_events(database):
    return EventFactory.create_batch(ROWS, profile=ProfileFactory(database=database))


LISTS = {
    "profiles": (Profile, make_profiles),
    "subscriptions": (Subscription, make_subscriptions),
    "events": (Event, make_events),
}


@pytest.fixture(params=list(LISTS))
def listed(request, database, monkeypatch):
    """A small table of one of the three lists, two rows a page: (its URL, ids newest first)."""
    model, make = LISTS[request.param]
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", PER_PAGE)
    rows = make(database)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return url, sorted((row.pk for row in rows), reverse=True)


def get(client, url, params=None):
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def shown(response):
    return [row.pk for row in response.context["cl"].result_list]


def paginator_links(response):
    """Return the paginator's links as people see them: text → URL (query string)."""
    paginator = response.content.decode().split('<p class="paginator">')[1].split("</p>")[0]
    return {text.strip(): html.unescape(href) for href, text in LINK_RE.findall(paginator)}


def rows_of(pages):
    return [pk for page in pages for pk in page]


def walk(client, url, response, label):
    """Follow the ``label`` link page after page; return the pages and the last response."""
    pages = [shown(response)]
    while label in paginator_links(response):
        response = get(client, url + paginator_links(response)[label])
        pages.append(shown(response))
    return pages, response


def test_older_and_newer_links_walk_every_row_once_in_both_directions(client, alice, listed):
    url, newest_first = listed
    client.force_login(alice)

    first = get(client, url)
    older_pages, last = walk(client, url, first, OLDER)
    newer_pages, top = walk(client, url, last, NEWER)

    assert rows_of(older_pages) == newest_first
    assert [len(page) for page in older_pages] == [2, 2, 2, 1]
    assert rows_of(reversed(newer_pages)) == newest_first
    assert shown(top) == newest_first[:PER_PAGE]
    assert OLDER not in paginator_links(last)
    assert NEWER not in paginator_links(top)
    assert "First" not in paginator_links(first)


def test_first_leads_back_to_the_first_page(client, alice, listed):
    url, newest_first = listed
    client.force_login(alice)

    deep = get(client, url, {"after": newest_first[3]})
    first = get(client, url + paginator_links(deep)["First"])

    assert shown(deep) == newest_first[4:6]
    assert shown(first) == newest_first[:PER_PAGE]


def test_a_deep_page_is_one_range_of_the_key_without_a_count_of_the_table(
    client, alice, listed, django_assert_max_num_queries
):
    url, newest_first = listed
    client.force_login(alice)
    with CaptureQueriesContext(connection) as first_page:
        get(client, url)

    for cursor in newest_first[1:]:  # ever deeper: never more queries than page 1
        with django_assert_max_num_queries(len(first_page)) as queries:
            get(client, url, {"after": cursor})
        sql = [q["sql"] for q in queries.captured_queries]
        assert [s for s in sql if "COUNT(" in s.upper() and "LIMIT" not in s.upper()] == []
        rows = [s for s in sql if re.search(rf"\)? < \(?{cursor}\b", s)]  # PostgreSQL: (id) < (x)
        assert len(rows) == 1
        assert "OFFSET" not in rows[0].upper()
        assert f"LIMIT {PER_PAGE + 1}" in rows[0]


def test_page_one_runs_the_same_queries_as_the_admins_own_changelist(
    client, alice, listed, monkeypatch
):
    url, _ = listed
    client.force_login(alice)
    model = get(client, url).context["cl"].model  # warm: content types, etc.

    with CaptureQueriesContext(connection) as keyset_pages:
        get(client, url)
    monkeypatch.setattr(
        admin.site._registry[model], "get_changelist", lambda request, **kwargs: ChangeList
    )
    with CaptureQueriesContext(connection) as numbered_pages:
        get(client, url)

    def on_the_table(queries):
        return [q["sql"] for q in queries if f'FROM "{model._meta.db_table}"' in q["sql"]]

    assert len(keyset_pages) == len(numbered_pages)
    assert on_the_table(keyset_pages) == on_the_table(numbered_pages)


@pytest.mark.parametrize("cursor", ["abc", "-3", "1.5", "", "²", "9" * 30])
@pytest.mark.parametrize("name", ["after", "before"])
def test_a_bad_cursor_gives_the_first_page_with_a_message(client, alice, listed, name, cursor):
    url, newest_first = listed
    client.force_login(alice)

    response = get(client, url, {name: cursor})

    assert shown(response) == newest_first[:PER_PAGE]
    assert [str(m) for m in response.context["messages"]] == [
        "That page link was not valid: the first page."
    ]


def test_the_links_keep_the_search_and_the_filters(client, alice, database, monkeypatch):
    monkeypatch.setattr(admin.site._registry[Event], "list_per_page", PER_PAGE)
    profile = ProfileFactory(database=database)
    clicks = EventFactory.create_batch(5, profile=profile, type="click")
    EventFactory.create_batch(3, profile=profile, type="open")
    url = reverse("admin:history_event_changelist")
    client.force_login(alice)

    first = get(client, url, {"q": "click", "profile__database__id__exact": database.pk})
    older_pages, last = walk(client, url, first, OLDER)
    newer_pages, _ = walk(client, url, last, NEWER)

    assert rows_of(older_pages) == sorted((e.pk for e in clicks), reverse=True)
    assert rows_of(reversed(newer_pages)) == rows_of(older_pages)
    for link in [*paginator_links(last).values()]:
        assert "q=click" in link
        assert f"profile__database__id__exact={database.pk}" in link


def test_a_filter_link_on_a_deep_page_starts_from_the_first_page(client, alice, listed):
    url, newest_first = listed
    client.force_login(alice)

    deep = get(client, url, {"after": newest_first[3]})

    cl = deep.context["cl"]
    assert "after" not in cl.get_query_string({"o": "2"})
    assert 'name="after"' not in deep.content.decode()  # the search form's hidden fields


def test_sorted_by_another_column_the_list_pages_by_number(client, alice, database, monkeypatch):
    monkeypatch.setattr(admin.site._registry[Profile], "list_per_page", PER_PAGE)
    profiles = ProfileFactory.create_batch(ROWS, database=database)
    url = reverse("admin:profiles_profile_changelist")
    client.force_login(alice)
    by_email = sorted(profiles, key=lambda p: p.email)
    email_column = 2  # after the action checkbox and profile_id

    first = get(client, url, {"o": email_column, "after": profiles[0].pk})
    second = get(client, url + paginator_links(first)["2"])

    assert shown(first) == [p.pk for p in by_email[:2]]
    assert shown(second) == [p.pk for p in by_email[2:4]]
    assert OLDER not in paginator_links(first)
    assert f"o={email_column}" in paginator_links(first)["2"]


def test_the_result_count_and_no_show_all_link_on_a_keyset_page(client, alice, listed):
    url, newest_first = listed
    client.force_login(alice)

    response = get(client, url, {"after": newest_first[1]})

    paginator = response.content.decode().split('<p class="paginator">')[1].split("</p>")[0]
    assert f"{ROWS} " in paginator
    assert "Show all" not in paginator
