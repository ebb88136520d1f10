"""The changelists of profiles, subscriptions and events page by keyset: in their default
order (newest first by the primary key) "Older" and "Newer" carry the last and the first id
shown; sorted by a column an index orders, "Next" and "Previous" carry the row's values of
the index's columns. A page is one range of the index however deep, and a column no index
orders is not offered (issue 15)."""

import base64
import html
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin import UNSORTABLE_MESSAGE
from core.keyset import encode_cursor
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


NEXT, PREVIOUS = "Next \u203a", "\u2039 Previous"


def sorted_profiles(database):
    """Seven profiles sharing statuses, last names and creation times: ties the id breaks."""
    profiles = [
        ProfileFactory(
            database=database,
            email=f"{'zyx'[n % 3]}{n}@example.com",
            last_name=["Martin", "Bernard", "Martin"][n % 3],
            first_name=["Léa", "Anne"][n % 2],
            status=["subscribed", "unsubscribed"][n % 2],
        )
        for n in range(ROWS)
    ]
    Profile.objects.filter(pk__in=[p.pk for p in profiles[:4]]).update(
        created_at=profiles[0].created_at
    )
    return profiles


def sorted_subscriptions(database):
    return [SubscriptionFactory(profile=ProfileFactory(database=database)) for _ in range(ROWS)]


def one_profiles_events(database):
    profile = ProfileFactory(database=database)
    events = EventFactory.create_batch(ROWS, profile=profile)
    when = events[0].occurred_at
    for n, event in enumerate(events):  # out of id order, two at the same time
        Event.objects.filter(pk=event.pk).update(occurred_at=when - timedelta(hours=(n * 5) % 3))
    return {"profile": profile.pk}


# (model, column of list_display, the index's columns, rows maker)
SORTS = [
    (Profile, "profile_id", ["profile_id", "id"], sorted_profiles),
    (Profile, "email", ["email", "id"], sorted_profiles),
    (Profile, "name", ["last_name", "first_name", "id"], sorted_profiles),
    (Profile, "status", ["status", "id"], sorted_profiles),
    (Profile, "created_at", ["created_at", "id"], sorted_profiles),
    (Subscription, "public_id", ["public_id", "id"], sorted_subscriptions),
    (Subscription, "profile", ["profile_id", "id"], sorted_subscriptions),
    (Event, "occurred_at", ["occurred_at", "id"], one_profiles_events),
]


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def column_number(client, url, params, column):
    """Return the ``o`` number of a column: its place among the changelist's columns."""
    return get(client, url, params).context["cl"].list_display.index(column)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize(
    ("model", "column", "columns", "make"), SORTS, ids=[f"{s[0].__name__}-{s[1]}" for s in SORTS]
)
def test_sorted_by_a_column_an_index_orders_the_list_pages_by_keyset_both_ways(
    client, alice, database, monkeypatch, model, column, columns, make, descending
):
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", PER_PAGE)
    made = make(database)
    params = made if isinstance(made, dict) else {}
    url = changelist_url(model)
    client.force_login(alice)
    number = column_number(client, url, params, column)
    order = [f"-{name}" if descending else name for name in columns]
    expected = list(
        model._default_manager.filter(**params).order_by(*order).values_list("pk", flat=True)
    )

    # Newest first by a time reads "Older" and "Newer", as the default order does.
    newest_first = descending and column in ("created_at", "occurred_at")
    next_label, previous_label = (OLDER, NEWER) if newest_first else (NEXT, PREVIOUS)

    first = get(client, url, {**params, "o": f"{'-' if descending else ''}{number}"})
    next_pages, last = walk(client, url, first, next_label)
    previous_pages, top = walk(client, url, last, previous_label)

    assert len(expected) == ROWS
    assert rows_of(next_pages) == expected
    assert [len(page) for page in next_pages] == [2, 2, 2, 1]
    assert rows_of(reversed(previous_pages)) == expected
    assert shown(top) == expected[:PER_PAGE]
    assert next_label not in paginator_links(last)
    assert previous_label not in paginator_links(top)
    for link in paginator_links(last).values():
        assert f"o={'-' if descending else ''}{number}" in link
    assert [str(m) for m in last.context["messages"]] == []


def test_a_deep_sorted_page_is_one_range_of_its_index(
    client, alice, database, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(admin.site._registry[Profile], "list_per_page", PER_PAGE)
    sorted_profiles(database)
    url = changelist_url(Profile)
    client.force_login(alice)
    by_email = {"o": column_number(client, url, {}, "email")}
    with CaptureQueriesContext(connection) as first_page:
        response = get(client, url, by_email)

    for _ in range(3):  # ever deeper: never more queries than page 1
        cursor = paginator_links(response)[NEXT]
        with django_assert_max_num_queries(len(first_page)) as queries:
            response = get(client, url + cursor)
        rows = [q["sql"] for q in queries.captured_queries if "LIMIT 3" in q["sql"]]
        assert len(rows) == 1
        assert "OFFSET" not in rows[0].upper()
        where = rows[0].split("ORDER BY")[0]  # a row comparison (SQLite: spelled out)
        assert (
            '"profiles_profile"."email" >' in where
            or '"email", "profiles_profile"."id") >' in where
        )
        assert 'ORDER BY "profiles_profile"."email" ASC, "profiles_profile"."id" ASC' in rows[0]


@pytest.mark.parametrize(
    ("model", "column", "params"),
    [
        (Profile, "database", {}),
        (Profile, "in_control_group", {}),
        (Subscription, "contact", {}),
        (Subscription, "status", {}),
        (Event, "occurred_at", {}),  # all events: sorted by the key only
    ],
)
def test_a_column_no_index_orders_is_not_offered_and_its_sort_is_refused_aloud(
    client, alice, database, model, column, params
):
    make_subscriptions(database)
    make_events(database)
    url = changelist_url(model)
    client.force_login(alice)
    page = get(client, url, params)
    number = page.context["cl"].list_display.index(column)
    default = shown(page)

    headers = re.findall(r'<th scope="col"\s+class="([^"]*)"', page.content.decode())
    response = get(client, url, {**params, "o": number})

    assert "sortable" not in headers[number]  # a plain heading, no link
    assert shown(response) == default
    assert [str(m) for m in response.context["messages"]] == [UNSORTABLE_MESSAGE]
    assert "o=" not in paginator_links(response).get(OLDER, "")


def test_a_second_sort_column_is_left_to_the_id(client, alice, database):
    profiles = sorted_profiles(database)
    url = changelist_url(Profile)
    client.force_login(alice)
    status, name = (column_number(client, url, {}, c) for c in ("status", "name"))

    response = get(client, url, {"o": f"{status}.-{name}"})

    expected = sorted(profiles, key=lambda p: (p.status, p.pk))
    assert shown(response) == [p.pk for p in expected]
    assert response.context["cl"].get_ordering_field_columns() == {status: "asc"}


BAD_SORTED_CURSORS = {
    "not-base64-json": "abc",
    "one-value": encode_cursor(["x"]),
    "a-number-not-a-text": encode_cursor(["x", 1]),
    "id-not-a-number": encode_cursor(["x", "y"]),
    "negative-id": encode_cursor(["x", "-1"]),
    "id-past-64-bits": encode_cursor(["x", "9" * 30]),
    "not-a-date": encode_cursor(["not a date", "1"]),
    "not-a-list": base64.urlsafe_b64encode(b'{"a":"1"}').decode(),
}


@pytest.mark.parametrize("column", ["email", "created_at"])
@pytest.mark.parametrize("case", list(BAD_SORTED_CURSORS))
def test_a_bad_sorted_cursor_gives_the_first_page_with_a_message(
    client, alice, database, monkeypatch, column, case
):
    monkeypatch.setattr(admin.site._registry[Profile], "list_per_page", PER_PAGE)
    sorted_profiles(database)
    url = changelist_url(Profile)
    client.force_login(alice)
    order = {"o": column_number(client, url, {}, column)}
    first = get(client, url, order)

    response = get(client, url, {**order, "after": BAD_SORTED_CURSORS[case]})

    messages = [str(m) for m in response.context["messages"]]
    if column == "email" and case == "not-a-date":  # an email, as far as the order goes
        assert messages == []
        return
    assert shown(response) == shown(first)
    assert messages == ["That page link was not valid: the first page."]


def test_a_deep_page_led_by_the_profile_reads_the_profiles_by_their_ids_not_a_join(
    client, alice, database, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(admin.site._registry[Subscription], "list_per_page", PER_PAGE)
    subscriptions = sorted_subscriptions(database)
    url = changelist_url(Subscription)
    client.force_login(alice)
    by_profile = {"o": column_number(client, url, {}, "profile")}
    with CaptureQueriesContext(connection) as first_page:
        first = get(client, url, by_profile)

    with django_assert_max_num_queries(len(first_page) + 1) as queries:  # the profiles' own
        deep = get(client, url + paginator_links(first)[NEXT])

    rows = [q["sql"] for q in queries.captured_queries if f"LIMIT {PER_PAGE + 1}" in q["sql"]]
    assert len(rows) == 1
    assert "profiles_profile" not in rows[0]
    expected = sorted(subscriptions, key=lambda s: (s.profile_id, s.pk))[2:4]
    assert shown(deep) == [s.pk for s in expected]
    page = deep.content.decode()
    assert all(html.escape(str(s.profile)) in page for s in expected)


def test_the_headings_mark_only_the_order_the_list_is_in(client, alice, database):
    make_subscriptions(database)
    url = changelist_url(Subscription)
    client.force_login(alice)

    default = get(client, url)  # newest first by the key, which no column shows
    number = default.context["cl"].list_display.index("public_id")
    by_id = get(client, url, {"o": f"-{number}"})

    def sorted_headings(response):
        classes = re.findall(r'<th scope="col"\s+class="([^"]*)"', response.content.decode())
        return [re.search(r"column-(\w+)", c)[1] for c in classes if "sorted" in c.split()]

    assert sorted_headings(default) == []
    # Django took the model's own order (priority, created_at) for the list's, though the
    # list is by -id, and kept those columns in the headings' links as second sorts.
    assert f'href="?o={number}"' in default.content.decode()
    assert f"o={number}." not in default.content.decode()
    assert sorted_headings(by_id) == ["public_id"]
    assert f"o={number}" in by_id.content.decode()  # its toggle: the same column, ascending


def test_each_row_has_djangos_own_selection_checkbox(client, alice, listed, monkeypatch):
    """The big lists write each row's checkbox directly (Django renders it through a widget
    template, a fifth of a page): the markup is Django's, a hostile name escaped alike."""
    url, ids = listed
    client.force_login(alice)
    response = get(client, url)
    model_admin = admin.site._registry[response.context["cl"].model]
    hostile = "<script>alert('x')</script> & \"quoted\""
    monkeypatch.setattr(type(response.context["cl"].result_list[0]), "__str__", lambda _: hostile)

    for row in response.context["cl"].result_list:
        ours = model_admin.action_checkbox(row)
        assert ours == admin.ModelAdmin.action_checkbox(model_admin, row)
        assert "<script>" not in ours and "&lt;script&gt;" in ours
    response = get(client, url)
    boxes = re.findall(r'<input type="checkbox" name="_selected_action"[^>]*>', response.text)
    with_actions = "action_checkbox" in response.context["cl"].list_display  # not read-only
    expected = [str(pk) for pk in ids[:PER_PAGE]] if with_actions else []
    assert [re.search(r'value="(\d+)"', box)[1] for box in boxes] == expected
    assert all('class="action-select"' in box and "&lt;script&gt;" in box for box in boxes)
    assert ('id="action-toggle"' in response.text) == with_actions
