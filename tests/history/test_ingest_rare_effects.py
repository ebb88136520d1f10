"""The rare effects of a batch (bounces, complaints, unsubscribe and confirmation clicks)
are written set-wise: the same statuses, history, audit trail and suppression list as the
same events reported one at a time, in a number of queries that does not grow with them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from audit.context import acting
from audit.models import AuditEntry
from core.status import Status
from history.models import Event
from operations.events import ingest_event
from profiles.models import Profile
from subscriptions.models import Subscription, SuppressedAddress
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileFactory, UserFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
GB, US = "81.2.69.160", "8.8.8.8"
BATCHES = 16
# Events the product records about a change (the reported ones aside).
RECORDED = ["status_changed", "subscription_status_changed", "subscribed", "unsubscribed"]


class Rollback(Exception):
    """Undo a way of applying the events, keeping what it left for the comparison."""


@pytest.fixture
def world(database):
    """Profiles in every status an effect starts from, with subscriptions to match."""
    bouncing = ProfileFactory(database=database, email="bouncing@example.com")
    bounced = ProfileFactory(database=database, email="bounced@example.com")
    bounced.status = Status.HARD_BOUNCED  # its address since lifted from the list
    bounced.save()
    complaining = ProfileFactory(database=database, email="complaining@example.com")
    unconfirmed = ProfileFactory(database=database, email="unconfirmed@example.com")
    unconfirmed.status = Status.UNCONFIRMED
    unconfirmed.save()
    subscriptions = {
        "work": SubscriptionFactory(profile=bouncing, contact="Work@Example.com"),
        "home": SubscriptionFactory(profile=bouncing, contact="home@example.com"),
        "sms": SubscriptionFactory(profile=complaining, channel=_sms(), contact="+33612345678"),
        "pending": SubscriptionFactory(
            profile=unconfirmed, contact="pending@example.com", status=Status.UNCONFIRMED
        ),
        "paused": SubscriptionFactory(
            profile=complaining,
            contact="paused@example.com",
            status=Status.SUSPENDED,
            suspended_until=timezone.now() + timedelta(days=3),
        ),
    }
    return {
        "bouncing": bouncing,
        "bounced": bounced,
        "complaining": complaining,
        "unconfirmed": unconfirmed,
    }, subscriptions


def _sms():
    from subscriptions.models import Channel

    return Channel.objects.get(slug="sms")


def reported(world):
    """(profile, type, data, minutes ago) of the events, oldest first: many bounces and
    complaints for the same profile and subscription, and for different ones."""
    profiles, subs = world
    b, h, c, u = (profiles[k] for k in ("bouncing", "bounced", "complaining", "unconfirmed"))
    return [
        (b, "hard_bounce", {"subscription": subs["work"].public_id}, 30),
        (b, "complaint", {"subscription": subs["home"].public_id}, 29),
        (c, "open", {"ip": GB}, 28),
        (b, "hard_bounce", {}, 27),
        (b, "complaint", {"subscription": subs["work"].public_id}, 26),
        (h, "hard_bounce", {"mailing": 7}, 25),
        (c, "hard_bounce", {"subscription": subs["sms"].public_id}, 24),
        (u, "confirmation_click", {"subscription": subs["pending"].public_id}, 23),
        (c, "complaint", {"subscription": subs["paused"].public_id}, 22),
        (b, "unsubscribe_click", {"subscription": subs["home"].public_id}, 21),
        (c, "click", {"url": "https://shop.example/?utm_source=news"}, 20),
        (u, "hard_bounce", {"subscription": subs["pending"].public_id}, 19),
        (b, "hard_bounce", {"subscription": subs["work"].public_id}, 18),
        (h, "complaint", {}, 17),
        (b, "unsubscribe_click", {"subscription": subs["home"].public_id}, 16),
        (c, "hard_bounce", {"subscription": subs["paused"].public_id}, 15),
    ]


def outcome(world, apply):
    """Apply the events one way, note what it left, and undo it."""
    profiles, subs = world
    started = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            apply()
            left = {
                "profiles": sorted(
                    Profile.objects.filter(pk__in=[p.pk for p in profiles.values()]).values_list(
                        "profile_id", "status", "utm_source", "ip"
                    )
                ),
                "subscriptions": sorted(
                    Subscription.all_objects.filter(
                        pk__in=[s.pk for s in subs.values()]
                    ).values_list("public_id", "status", "suspended_until")
                ),
                "recorded": list(
                    Event.objects.filter(type__in=RECORDED)
                    .order_by("pk")
                    .values_list("profile__profile_id", "type", "data")
                ),
                # Those of the statuses: a batch folds a profile's clicks and IPs into one
                # entry, after the rare effects (test_ingest_batch).
                "audit": [
                    entry
                    for entry in AuditEntry.objects.filter(pk__gt=started)
                    .order_by("pk")
                    .values_list(
                        "actor_name",
                        "channel",
                        "action",
                        "object_type",
                        "object_id",
                        "profile_id",
                        "changes",
                    )
                    if "status" in entry[-1]
                ],
                "suppressed": list(
                    SuppressedAddress.objects.order_by("pk").values_list(
                        "address", "reason", "profile_id"
                    )
                ),
            }
            raise Rollback
    except Rollback:
        pass
    return left


def test_a_batch_of_bounces_and_complaints_leaves_what_one_by_one_does(world, api_client, bob):
    events = reported(world)
    now = timezone.now()

    def one_by_one():
        with acting(bob, "api"):
            for profile, type, data, minutes in events:
                stored = Profile.objects.get(pk=profile.pk)
                ingest_event(stored, type, data, now - timedelta(minutes=minutes))

    def batch():
        api_client.force_authenticate(bob)
        items = [
            {
                "profile_id": profile.profile_id,
                "type": type,
                "data": data,
                "occurred_at": (now - timedelta(minutes=minutes)).isoformat(),
            }
            for profile, type, data, minutes in reversed(events)  # time order, not sent order
        ]
        response = api_client.post(URL, items, format="json")
        assert {r["status"] for r in response.json()["results"]} == {"created"}

    expected = outcome(world, one_by_one)
    assert outcome(world, batch) == expected
    # What the events mean, spelled out once.
    statuses = {profile_id: status for profile_id, status, _, _ in expected["profiles"]}
    profiles, subs = world
    assert statuses[profiles["bouncing"].profile_id] == Status.HARD_BOUNCED
    assert statuses[profiles["bounced"].profile_id] == Status.COMPLAINER
    assert statuses[profiles["complaining"].profile_id] == Status.HARD_BOUNCED
    assert statuses[profiles["unconfirmed"].profile_id] == Status.HARD_BOUNCED
    assert [address for address, _, _ in expected["suppressed"]] == [
        "bouncing@example.com",
        "work@example.com",
        "bounced@example.com",
        "complaining@example.com",
        "unconfirmed@example.com",
        "pending@example.com",
        "paused@example.com",
    ]
    paused = [s for s in expected["subscriptions"] if s[0] == subs["paused"].public_id]
    assert paused == [(subs["paused"].public_id, Status.HARD_BOUNCED, None)]
    assert len(expected["audit"]) == 21


def test_rare_effects_of_any_number_of_profiles_take_the_same_queries(
    api_client, bob, database, django_assert_max_num_queries
):
    api_client.force_authenticate(bob)

    def batch(count):
        profiles = ProfileFactory.create_batch(count, database=database)
        items = []
        for profile in profiles:
            subscription = SubscriptionFactory(profile=profile)
            items += [
                {
                    "profile_id": profile.profile_id,
                    "type": "hard_bounce",
                    "data": {"subscription": subscription.public_id},
                },
                {"profile_id": profile.profile_id, "type": "complaint"},
                {
                    "profile_id": profile.profile_id,
                    "type": "unsubscribe_click",
                    "data": {"subscription": subscription.public_id},
                },
            ]
        return items

    few, many = batch(2), batch(30)
    with django_assert_max_num_queries(40) as captured:
        api_client.post(URL, few, format="json")
    with django_assert_max_num_queries(len(captured.captured_queries)):
        response = api_client.post(URL, many, format="json")
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert Profile.objects.filter(status=Status.COMPLAINER).count() == 32


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_sixteen_batches_of_bounces_at_once_change_each_row_once(database):
    """Bounces and complaints for the same profiles and subscriptions in every batch, with
    clicks and IPs: each status changes once (one event, one audit entry), nothing waits on
    a lock another batch holds while it waits on one of its own."""
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(user)
    profiles = [ProfileFactory(database=database) for _ in range(8)]
    subscriptions = [SubscriptionFactory(profile=profile) for profile in profiles]
    now = timezone.now()

    def work(batch):
        turn = batch % len(profiles)
        items = []
        for profile, subscription in zip(
            profiles[turn:] + profiles[:turn],
            subscriptions[turn:] + subscriptions[:turn],
            strict=True,
        ):
            moment = (now - timedelta(minutes=batch + 1)).isoformat()
            named = {"subscription": subscription.public_id}
            items += [
                {"profile_id": profile.profile_id, "type": "complaint", "occurred_at": moment},
                {
                    "profile_id": profile.profile_id,
                    "type": "click",
                    "occurred_at": moment,
                    "data": {"url": "https://shop.example/", "ip": GB if batch == 0 else US},
                },
                {
                    "profile_id": profile.profile_id,
                    "type": "hard_bounce",
                    "occurred_at": moment,
                    "data": named,
                },
            ]
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(URL, items, format="json")
        assert response.status_code == 200, response.content[:300]

    assert run_together(BATCHES, work) == []
    assert Event.objects.filter(type="hard_bounce").count() == BATCHES * len(profiles)
    for profile in Profile.objects.filter(pk__in=[p.pk for p in profiles]):
        assert (profile.status, profile.ip) == (Status.HARD_BOUNCED, GB), profile.profile_id
    assert {s.status for s in Subscription.objects.filter(profile__in=profiles)} == {
        Status.HARD_BOUNCED
    }
    # The first batch to lock a profile changes it twice (complaint, then bounce); each of
    # the others twice as well (back to complainer, then bounced again): 2 per batch.
    assert Event.objects.filter(type="status_changed").count() == 2 * BATCHES * len(profiles)
    # A subscription leaves "subscribed" once; the later bounces find it bounced already.
    changed = Event.objects.filter(type="subscription_status_changed")
    assert changed.count() == len(subscriptions)
    entries = AuditEntry.objects.filter(object_type="subscriptions.Subscription", action="update")
    assert entries.count() == len(subscriptions)
    addresses = {p.email for p in profiles} | {s.contact for s in subscriptions}
    assert set(SuppressedAddress.objects.values_list("address", flat=True)) == addresses
