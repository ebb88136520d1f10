"""Writes racing each other on PostgreSQL: an import and batches of events on the same
profiles, a profile deleted while events about it arrive. No deadlock between them, no
500: a write that lost a race is a 503 to send again (``core.races``)."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import Event
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
PROFILES = 20


@pytest.fixture
def team():
    database = ProfileDatabaseFactory(name="Customers")
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS, "delete_profile")
    database.members.add(user)
    profiles = [ProfileFactory(database=database) for _ in range(PROFILES)]
    return user, database, profiles


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def located_events(profiles, moment, rng):
    """A batch of opens with an IP for each profile, in an order of its own."""
    shuffled = rng.sample(profiles, len(profiles))
    stamp = moment.isoformat()
    return [
        {
            "profile_id": p.profile_id,
            "type": "open",
            "occurred_at": stamp,
            "data": {"ip": "8.8.8.8"},
        }
        for p in shuffled
    ]


def test_imports_and_event_batches_on_the_same_profiles_at_once_all_succeed(team):
    """An import locked its profiles FOR UPDATE in no set order; a batch of events locks
    some FOR NO KEY UPDATE in key order and the rest at commit, key-share: each held what
    the other needed (55 deadlocks in 150 s of a mixed load)."""
    user, database, profiles = team
    now = timezone.now()
    statuses = []

    def work(thread):
        rng = random.Random(thread)
        client = client_of(user)
        for round_ in range(4):
            if thread % 2:
                rows = [
                    {"email": p.email, "first_name": f"T{thread}R{round_}"}
                    for p in rng.sample(profiles, len(profiles))
                ]
                body = {"database": database.pk, "match": "email", "profiles": rows}
                response = client.post("/api/v1/profiles/import/", body, format="json")
            else:
                moment = now - timedelta(minutes=thread * 10 + round_)
                body = located_events(profiles, moment, rng)
                response = client.post("/api/v1/events/", body, format="json")
            statuses.append(response.status_code)

    assert run_together(8, work) == []
    assert statuses == [200] * 32
    assert Event.objects.filter(type="open").count() == 4 * 4 * PROFILES


def test_a_profile_deleted_while_events_about_it_arrive_loses_no_request_to_a_500(team):
    """The delete, racing event batches about its profile, failed at its commit (events
    committed after it read the rows to delete) or made them fail (a 500 either way)."""
    user, _, profiles = team
    doomed = profiles[0]
    now = timezone.now()
    statuses = {"delete": [], "events": []}

    def work(thread):
        client = client_of(user)
        if thread == 0:
            response = client.delete(f"/api/v1/profiles/{doomed.profile_id}/")
            statuses["delete"].append(response.status_code)
            return
        rng = random.Random(thread)
        for round_ in range(3):
            moment = now - timedelta(minutes=thread * 10 + round_)
            body = located_events(profiles, moment, rng)
            response = client.post("/api/v1/events/", body, format="json")
            statuses["events"].append(response.status_code)

    assert run_together(6, work) == []
    assert statuses["delete"] == [204]
    assert set(statuses["events"]) <= {200, 503}, statuses
    assert not Profile.objects.filter(pk=doomed.pk).exists()
    assert not Event.objects.filter(profile_id=doomed.pk).exists()
    # Sent again, a batch keeps the others and says the deleted profile is unknown.
    response = client_of(user).post(
        "/api/v1/events/", located_events(profiles, now, random.Random(0)), format="json"
    )
    results = response.json()["results"]
    refused = [r for r in results if r["status"] != "created"]
    assert len(refused) == 1 and "Unknown profile" in str(refused[0]["errors"])


def test_a_member_added_and_taken_out_at_once_gives_no_500_and_a_true_history(team):
    """Adding a profile to a segment while another request takes it out read the
    membership back after it was deleted: a 500 in 17 rounds of 40 of a soak."""
    from segments.models import Segment, SegmentMembership

    user, database, profiles = team
    profile = profiles[0]
    segment = Segment.objects.create(name="VIP", database=database)
    members = f"/api/v1/segments/{segment.pk}/members/"
    statuses = []

    def work(thread):
        client = client_of(user)
        for round_ in range(8):
            if (thread + round_) % 2:
                body = {"profile_id": profile.profile_id}
                response = client.post(members, body, format="json")
            else:
                response = client.delete(f"{members}{profile.profile_id}/")
            statuses.append(response.status_code)

    assert run_together(6, work) == []
    assert set(statuses) <= {200, 201, 204, 404, 503}, statuses
    entered = Event.objects.filter(profile=profile, type="segment_entered").count()
    exited = Event.objects.filter(profile=profile, type="segment_exited").count()
    present = SegmentMembership.objects.filter(segment=segment, profile=profile).count()
    assert entered - exited == present
