"""A deep page of an admin list ordered by the primary key is found by the key's index,
not by an OFFSET that makes the database join every skipped row (issue 15)."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import admin as core_admin
from core.admin import EstimatedCountPaginator
from history.models import Event
from tests.factories import ProfileFactory
from tests.history.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(database):
    profile = ProfileFactory(database=database)
    return [EventFactory(profile=profile) for _ in range(7)]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(admin.site._registry[Event], "list_per_page", 2)
    monkeypatch.setattr(EstimatedCountPaginator, "seek_from", 2)


def shown(client, page):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:history_event_changelist"), {"p": page})
    assert response.status_code == 200
    return [event.pk for event in response.context["cl"].result_list], queries


def test_a_deep_page_holds_the_rows_an_offset_would_without_an_offset_over_the_joins(
    client, alice, events, small_pages
):
    client.force_login(alice)
    newest_first = sorted((event.pk for event in events), reverse=True)

    pages = [shown(client, page) for page in (1, 2, 3, 4)]

    assert [rows for rows, _ in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:6],
        newest_first[6:7],
    ]
    for _, queries in pages[1:]:
        rows_query = [q["sql"] for q in queries if '"history_event"."data"' in q["sql"]]
        assert len(rows_query) == 1
        assert "OFFSET" not in rows_query[0].upper()  # the skip went over the key alone


def test_a_list_in_another_order_keeps_the_offset(client, alice, events, small_pages):
    client.force_login(alice)
    profile_id = events[0].profile_id
    url = reverse("admin:history_event_changelist")

    response = client.get(url, {"profile": profile_id, "p": 3})  # by occurred_at

    by_time = sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    assert [e.pk for e in response.context["cl"].result_list] == [e.pk for e in by_time[4:6]]


def test_an_old_link_deeper_than_pages_go_by_number_shows_the_deepest_and_says_so(
    client, alice, events, small_pages, monkeypatch
):
    monkeypatch.setattr(core_admin, "DEEPEST_BY_NUMBER", 4)  # page 2 at 2 a page
    client.force_login(alice)
    newest_first = sorted((event.pk for event in events), reverse=True)

    rows, _ = shown(client, 4)

    assert rows == newest_first[2:4]
    response = client.get(reverse("admin:history_event_changelist"), {"p": 4})
    page = response.content.decode()
    assert "Pages by number go as deep as page 2: page 4 was asked for, page 2 is shown" in page
    assert "the “Older” link goes on from there" in page
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    older = response.context["cl"].keyset_links["next"]
    following = client.get(reverse("admin:history_event_changelist") + older)
    assert [event.pk for event in following.context["cl"].result_list] == newest_first[4:6]


def test_a_page_as_deep_as_pages_go_by_number_is_shown_without_a_message(
    client, alice, events, small_pages, monkeypatch
):
    monkeypatch.setattr(core_admin, "DEEPEST_BY_NUMBER", 4)
    client.force_login(alice)

    response = client.get(reverse("admin:history_event_changelist"), {"p": 2})

    assert "Pages by number" not in response.content.decode()
    assert response.context["cl"].page_num == 2


def test_searching_a_profile_id_lists_its_events_newest_first_by_its_own_index(
    client, alice, database
):
    profile, other = ProfileFactory(database=database), ProfileFactory(database=database)
    now = timezone.now()
    late = EventFactory(profile=profile, occurred_at=now - timedelta(hours=1))
    early = EventFactory(profile=profile, occurred_at=now - timedelta(days=2))
    EventFactory(profile=other)
    client.force_login(alice)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("admin:history_event_changelist"), {"q": profile.profile_id.upper()}
        )

    assert list(response.context["cl"].result_list) == [late, early]
    rows = [q["sql"] for q in queries if '"history_event"."data"' in q["sql"]]
    assert '"history_event"."profile_id" IN' in rows[0]  # the key, not a join condition
    assert 'ORDER BY "history_event"."occurred_at" DESC' in rows[0]
