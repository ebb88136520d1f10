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


def test_a_confirmation_link_opened_as_its_profile_is_deleted_waits_its_turn(team):
    """The link locked the subscription, then the profile (to confirm it); the delete
    locked the profile, then its subscriptions: they deadlocked in 18 pairs of 20, and
    the link crashed when only its subscription was deleted. Each now takes the profile
    first: the link confirms and the delete follows, or the link finds it gone (404)."""
    from django.test import Client

    from operations.subscriptions import subscribe, update_subscription
    from subscriptions.models import Channel, Resource

    user, _, profiles = team
    grant(user, "delete_subscription")
    user = type(user).objects.get(pk=user.pk)  # its permissions read anew
    resource = Resource.objects.create(name="News")
    resource.channels.set(Channel.objects.all())
    email = Channel.objects.get(slug="email")
    links, answers = [], []
    for n, profile in enumerate(profiles[:10]):
        subscription = subscribe(
            profile, resource=resource, channel=email, contact=f"s{n}@example.com"
        ).subscription
        update_subscription(subscription, status="unconfirmed")
        links.append((profile, subscription, subscription.confirmation_path()))

    def work(thread):
        profile, subscription, path = links[thread // 3]
        kind = thread % 3
        if kind == 0:
            answers.append(("link", Client().get(path).status_code))
        elif kind == 1:
            response = client_of(user).delete(f"/api/v1/profiles/{profile.profile_id}/")
            answers.append(("profile", response.status_code))
        else:
            response = client_of(user).delete(f"/api/v1/subscriptions/{subscription.public_id}/")
            answers.append(("subscription", response.status_code))

    assert run_together(30, work) == []
    assert {status for kind, status in answers if kind == "link"} <= {200, 404}, answers
    assert {status for kind, status in answers if kind == "profile"} == {204}, answers
    # A subscription whose profile was deleted first lost the race: sent again, a 404.
    assert {status for kind, status in answers if kind == "subscription"} <= {204, 404, 503}


def test_points_and_promo_codes_changed_as_their_profile_is_deleted_never_deadlock(team):
    """Adding points locked the membership, activating a code locked the code, then each
    waited at commit for the profile a delete held, which waited for that row to delete
    it: a deadlock, the delete answered 503. Each now locks the profile first."""
    from operations.loyalty import enrol
    from tests.loyalty.factories import ProgramFactory
    from tests.promos.factories import attached_code

    user, database, profiles = team
    grant(user, "add_transaction", "view_promocode", "attach_promocode")
    user = type(user).objects.get(pk=user.pk)  # its permissions read anew
    program = ProgramFactory(database=database)
    targets = []
    for profile in profiles[:10]:
        enrol(program, profile, source="ui")
        targets.append((profile, attached_code(profile)))
    answers = []

    def work(thread):
        profile, code = targets[thread // 3]
        base = f"/api/v1/profiles/{profile.profile_id}"
        client = client_of(user)
        if thread % 3 == 0:
            answers.append(("delete", client.delete(f"{base}/").status_code))
        elif thread % 3 == 1:
            body = {"points": 10, "reason": ""}
            url = f"{base}/loyalty/{program.pk}/transactions/"
            answers.append(("points", client.post(url, body, format="json").status_code))
        else:
            url = f"{base}/promo-codes/{code.pk}/activate/"
            answers.append(("code", client.post(url, format="json").status_code))

    assert run_together(30, work) == []
    assert {status for kind, status in answers if kind == "delete"} == {204}, answers
    assert {status for kind, status in answers if kind != "delete"} <= {200, 201, 404, 503}
