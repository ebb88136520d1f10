"""The priority rule and the 20-per-channel / 200-per-profile limits with replacement."""

from datetime import timedelta

import pytest
from django.utils import timezone

from history.models import Event
from operations import subscriptions as services
from subscriptions.models import CHANNEL_LIMIT, PROFILE_LIMIT, Subscription
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db


def add(profile, resource, contact, ch="email", **kwargs):
    return services.subscribe(
        profile, resource=resource, channel=channel(ch), contact=contact, **kwargs
    )


def priorities(profile, resource, ch="email"):
    return dict(
        Subscription.objects.filter(
            profile=profile, resource=resource, channel__slug=ch
        ).values_list("contact", "priority")
    )


# -- Priority --------------------------------------------------------------------------


def test_without_the_option_a_new_subscription_goes_below_the_others(profile, resource):
    add(profile, resource, "a@example.com")
    add(profile, resource, "b@example.com")
    add(profile, resource, "c@example.com")

    assert priorities(profile, resource) == {
        "a@example.com": 0,
        "b@example.com": 1,
        "c@example.com": 2,
    }


def test_with_the_option_a_new_subscription_gets_the_top_priority_and_the_others_move_down(
    profile,
):
    resource = ResourceFactory(name="App", increase_priority_for_new=True)
    add(profile, resource, "a@example.com", priority=0)
    add(profile, resource, "b@example.com", priority=5)

    add(profile, resource, "c@example.com")

    assert priorities(profile, resource) == {
        "c@example.com": 0,
        "a@example.com": 1,
        "b@example.com": 6,
    }


def test_with_the_option_an_explicit_priority_leaves_the_others_unchanged(profile):
    resource = ResourceFactory(name="App", increase_priority_for_new=True)
    add(profile, resource, "a@example.com", priority=0)
    add(profile, resource, "b@example.com", priority=5)

    add(profile, resource, "c@example.com", priority=3)

    assert priorities(profile, resource) == {
        "a@example.com": 0,
        "b@example.com": 5,
        "c@example.com": 3,
    }


def test_the_option_only_moves_subscriptions_of_the_same_channel(profile):
    resource = ResourceFactory(name="App", increase_priority_for_new=True)
    add(profile, resource, "+14155550123", ch="sms", priority=0)

    add(profile, resource, "a@example.com")

    assert priorities(profile, resource, "sms") == {"+14155550123": 0}


# -- Limits ----------------------------------------------------------------------------


def fill(profile, resource, count, ch="email", **kwargs):
    return [
        SubscriptionFactory(
            profile=profile,
            resource=resource,
            channel=channel(ch),
            contact=f"old{n}@example.com" if ch == "email" else f"old-{ch}-{n}",
            priority=kwargs.get("priority", n),
            status=kwargs.get("status", "subscribed"),
        )
        for n in range(count)
    ]


def test_below_the_channel_limit_nothing_is_replaced(profile, resource):
    fill(profile, resource, CHANNEL_LIMIT - 1)

    result = add(profile, resource, "new@example.com")

    assert result.replaced == []
    assert Subscription.all_objects.filter(profile=profile).count() == CHANNEL_LIMIT


def test_at_the_channel_limit_the_new_subscription_replaces_one(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT)

    result = add(profile, resource, "new@example.com")

    assert Subscription.all_objects.filter(profile=profile).count() == CHANNEL_LIMIT
    assert [s.public_id for s in result.replaced] == [old[-1].public_id]  # lowest priority
    assert not Subscription.all_objects.filter(pk=old[-1].pk).exists()
    event = Event.objects.get(type="subscription_deleted")
    assert event.data["reason"] == "replaced"
    assert event.data["subscription"] == old[-1].public_id
    assert event.data["replaced_by"] == result.subscription.public_id


def test_the_channel_limit_counts_one_resource_in_one_channel(profile, resource):
    fill(profile, resource, CHANNEL_LIMIT)
    other = ResourceFactory(name="Shop")

    assert add(profile, resource, "+14155550123", ch="sms").replaced == []
    assert add(profile, other, "new@example.com").replaced == []


def test_replacement_takes_a_deleted_subscription_first(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT, status="invalid")
    Subscription.all_objects.filter(pk=old[3].pk).update(deleted_at=timezone.now())

    result = add(profile, resource, "new@example.com")

    assert [s.public_id for s in result.replaced] == [old[3].public_id]


@pytest.mark.parametrize(
    "status", ["invalid", "hard_bounced", "complainer", "suspended", "unconfirmed"]
)
def test_replacement_takes_a_bad_status_before_the_lowest_priority(profile, resource, status):
    old = fill(profile, resource, CHANNEL_LIMIT)
    Subscription.objects.filter(pk=old[0].pk).update(status=status)  # the top priority

    result = add(profile, resource, "new@example.com")

    assert [s.public_id for s in result.replaced] == [old[0].public_id]


def test_replacement_does_not_take_unsubscribed_before_the_lowest_priority(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT)
    Subscription.objects.filter(pk=old[0].pk).update(status="unsubscribed")

    result = add(profile, resource, "new@example.com")

    assert [s.public_id for s in result.replaced] == [old[-1].public_id]


def test_replacement_takes_the_oldest_among_equal_priorities(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT, priority=4)
    now = timezone.now()
    for n, subscription in enumerate(old):
        Subscription.objects.filter(pk=subscription.pk).update(
            created_at=now - timedelta(days=n if n != 7 else 100)
        )

    result = add(profile, resource, "new@example.com")

    assert [s.public_id for s in result.replaced] == [old[7].public_id]


def test_among_deleted_ones_the_lowest_priority_goes_first(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT)
    Subscription.all_objects.filter(pk__in=[old[2].pk, old[5].pk]).update(deleted_at=timezone.now())

    result = add(profile, resource, "new@example.com")

    assert [s.public_id for s in result.replaced] == [old[5].public_id]


def test_re_adding_a_replaced_subscription_is_a_new_subscription(profile, resource):
    old = fill(profile, resource, CHANNEL_LIMIT)
    replaced = add(profile, resource, "new@example.com").replaced[0]

    again = add(profile, resource, replaced.contact, priority=50)

    assert again.subscription.pk != replaced.pk
    assert again.subscription.public_id != replaced.public_id
    assert again.replaced  # the limit is still full, so another one made room
    assert Subscription.all_objects.filter(profile=profile).count() == CHANNEL_LIMIT
    assert old


def test_at_the_profile_limit_the_new_subscription_replaces_one_of_any_resource(profile):
    resources = [ResourceFactory(name=f"Resource {n}") for n in range(PROFILE_LIMIT // 10)]
    for n, resource in enumerate(resources):
        for m in range(10):
            SubscriptionFactory(
                profile=profile,
                resource=resource,
                contact=f"r{n}-{m}@example.com",
                priority=m,
                status="suspended" if (n, m) == (13, 2) else "subscribed",
            )
    assert Subscription.all_objects.filter(profile=profile).count() == PROFILE_LIMIT
    newcomer = ResourceFactory(name="Newcomer")

    result = add(profile, newcomer, "new@example.com")

    assert [s.contact for s in result.replaced] == ["r13-2@example.com"]
    assert Subscription.all_objects.filter(profile=profile).count() == PROFILE_LIMIT


def test_the_profile_limit_counts_deleted_subscriptions_and_replaces_them_first(profile):
    resources = [ResourceFactory(name=f"Resource {n}") for n in range(PROFILE_LIMIT // 10)]
    for n, resource in enumerate(resources):
        for m in range(10):
            SubscriptionFactory(
                profile=profile, resource=resource, contact=f"r{n}-{m}@example.com", priority=m
            )
    Subscription.objects.filter(contact="r4-1@example.com").update(deleted_at=timezone.now())

    result = add(profile, ResourceFactory(name="Newcomer"), "new@example.com")

    assert [s.contact for s in result.replaced] == ["r4-1@example.com"]
    assert Subscription.all_objects.filter(profile=profile).count() == PROFILE_LIMIT
