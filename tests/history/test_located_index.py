"""Whether a profile has an action with an IP later than a reported one is read from the
index of located events, not from every event of the profile since then."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from history.models import Event
from operations.location import newer_located_action, newest_located_actions
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def plan_of(sql):
    """Return the plan of a captured statement (its parameters written in), the planner
    kept off whole-table reads so that the choice of index shows on a small table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.fixture
def located():
    """A profile with many events, two of them carrying an IP."""
    profile = ProfileFactory()
    now = timezone.now()
    Event.objects.bulk_create(
        Event(
            profile=profile,
            type="open",
            occurred_at=now - timedelta(minutes=minutes),
            data={"ip": "81.2.69.160"} if minutes in (5, 50) else {"mailing": minutes},
        )
        for minutes in range(1, 100)
    )
    return profile, now


def test_the_latest_located_actions_of_a_batch_are_read_from_their_index(located):
    profile, now = located
    with CaptureQueriesContext(connection) as queries:
        latest = newest_located_actions([profile.pk], now - timedelta(hours=1))
    assert latest == {profile.pk: now - timedelta(minutes=5)}  # the later of the two
    assert "event_profile_located" in plan_of(queries.captured_queries[-1]["sql"])


def test_a_later_located_action_of_one_event_is_read_from_the_index(located):
    profile, now = located
    with CaptureQueriesContext(connection) as queries:
        assert newer_located_action(profile, now - timedelta(minutes=10))
        assert not newer_located_action(profile, now - timedelta(minutes=4))
    for query in queries.captured_queries:
        assert "event_profile_located" in plan_of(query["sql"])
