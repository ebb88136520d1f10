"""Batches of reported events at once on PostgreSQL: the per-profile fold of clicks and IPs
neither deadlocks nor loses a newer action to an older one committed after it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import Event
from operations.events import ingest_event
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
URL = "/api/v1/events/"
GB, US = "81.2.69.160", "8.8.8.8"
BATCHES = 16


@pytest.fixture
def reporter():
    database = ProfileDatabaseFactory(name="Customers")
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(user)
    profiles = [ProfileFactory(database=database) for _ in range(8)]
    return user, profiles


def post(user, items):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(URL, items, format="json")
    assert response.status_code == 200, response.content[:300]
    assert {result["status"] for result in response.json()["results"]} == {"created"}


def test_sixteen_batches_at_once_fold_every_profile_to_its_newest_actions(reporter):
    user, profiles = reporter
    now = timezone.now()

    def work(batch):
        # Each batch touches every profile, in its own order (a deadlock if locks were
        # taken in the order sent); batch 0 holds the newest click and the newest IP.
        ordered = profiles[batch % len(profiles) :] + profiles[: batch % len(profiles)]
        moment = (now - timedelta(minutes=batch + 1)).isoformat()
        items = [
            {
                "profile_id": profile.profile_id,
                "type": "click",
                "occurred_at": moment,
                "data": {
                    "url": f"https://shop.example/?utm_source=batch{batch}",
                    "ip": GB if batch == 0 else US,
                },
            }
            for profile in ordered
        ]
        post(user, items)

    assert run_together(BATCHES, work) == []
    assert Event.objects.filter(type="click").count() == BATCHES * len(profiles)
    for profile in Profile.objects.filter(pk__in=[p.pk for p in profiles]):
        assert (profile.ip, profile.country) == (GB, "GB"), profile.profile_id


def test_events_reported_one_by_one_at_once_keep_the_newest_ip(reporter):
    """The one-event path (a pixel hit, ``ingest_event``) under the same race."""
    _, profiles = reporter
    profile = profiles[0]
    now = timezone.now()

    def work(n):
        # Each thread loads its own copy of the profile, as each request would.
        own = Profile.objects.get(pk=profile.pk)
        ingest_event(own, "open", {"ip": GB if n == 0 else US}, now - timedelta(minutes=n + 1))

    assert run_together(BATCHES, work) == []
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == (GB, "GB")


def test_batches_at_once_that_each_change_other_profiles_than_they_report_do_not_deadlock(
    reporter,
):
    """Each batch changes one profile (a tagged click) and only records events of the others.
    Recording an event checks its profile at commit (a key-share lock on the row); the
    batch changing that profile holds it locked meanwhile. A lock that conflicted with the
    check (``FOR UPDATE``) made two such batches wait for each other: a deadlock, one batch
    refused with a 500, under a mail server's ordinary concurrent reports."""
    user, profiles = reporter
    now = timezone.now()

    def work(batch):
        changed = profiles[batch % len(profiles)]
        items = [
            {
                "profile_id": profile.profile_id,
                "type": "click" if profile == changed else "open",
                "occurred_at": (now - timedelta(minutes=batch + 1)).isoformat(),
                "data": {"url": f"https://shop.example/?utm_source=batch{batch}"},
            }
            for profile in profiles
        ]
        post(user, items)

    for _ in range(3):  # the interleaving that deadlocks is likely, not certain, in a round
        assert run_together(BATCHES, work) == []
    assert Event.objects.filter(type="open").count() == 3 * BATCHES * (len(profiles) - 1)
