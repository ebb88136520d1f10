"""The limits hold when several requests subscribe one profile at the same moment."""

import pytest

from operations import subscriptions as services
from subscriptions.models import CHANNEL_LIMIT, PROFILE_LIMIT, Subscription
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory, channel

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 8


def test_concurrent_subscribes_never_pass_the_channel_limit():
    profile = ProfileFactory(database=ProfileDatabaseFactory())
    resource = ResourceFactory(name="Website")
    email = channel("email")
    for n in range(CHANNEL_LIMIT - 2):
        SubscriptionFactory(
            profile=profile,
            resource=resource,
            channel=email,
            contact=f"old{n}@example.com",
            priority=n + 1,
        )

    # Top priority: each new one makes room by replacing an old one, never another new one.
    errors = run_together(
        THREADS,
        lambda n: services.subscribe(
            profile, resource=resource, channel=email, contact=f"new{n}@example.com", priority=0
        ),
    )

    assert errors == []
    stored = Subscription.all_objects.filter(profile=profile, resource=resource, channel=email)
    assert stored.count() == CHANNEL_LIMIT
    assert stored.filter(contact__startswith="new").count() == THREADS
    assert profile.events.filter(type="subscription_deleted").count() == THREADS - 2


def test_concurrent_subscribes_never_pass_the_profile_limit():
    profile = ProfileFactory(database=ProfileDatabaseFactory())
    email = channel("email")
    resources = [ResourceFactory(name=f"Resource {n}") for n in range(10)]
    Subscription.objects.bulk_create(
        Subscription(
            profile=profile,
            resource=resources[n % 10],
            channel=email,
            contact=f"old{n}@example.com",
            priority=n + 1,
        )
        for n in range(PROFILE_LIMIT - 2)
    )
    newcomers = [ResourceFactory(name=f"New {n}") for n in range(THREADS)]

    errors = run_together(
        THREADS,
        lambda n: services.subscribe(
            profile, resource=newcomers[n], channel=email, contact="new@example.com", priority=0
        ),
    )

    assert errors == []
    stored = Subscription.all_objects.filter(profile=profile)
    assert stored.count() == PROFILE_LIMIT
    assert stored.filter(contact="new@example.com").count() == THREADS


def test_concurrent_subscribes_of_one_contact_store_it_once():
    profile = ProfileFactory(database=ProfileDatabaseFactory())
    resource = ResourceFactory(name="Website")
    email = channel("email")

    errors = run_together(
        THREADS,
        lambda n: services.subscribe(
            profile, resource=resource, channel=email, contact="same@example.com"
        ),
    )

    assert len(errors) == THREADS - 1
    assert Subscription.objects.filter(profile=profile).count() == 1
