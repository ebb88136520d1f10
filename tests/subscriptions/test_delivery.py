"""Delivery resolution: which subscription receives a message for (profile, resource, channel,
category), or none with the reason."""

import pytest
from django.utils import timezone

from operations.profiles import change_status
from subscriptions.models import Delivery, Subscription, SuppressedAddress
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    channel,
)

pytestmark = pytest.mark.django_db


def resolve(profile, resource, ch="email", category=None):
    return Subscription.objects.recipient_for(profile, resource, channel(ch), category)


def make(profile, resource, contact, **kwargs):
    return SubscriptionFactory(profile=profile, resource=resource, contact=contact, **kwargs)


def test_the_subscribed_subscription_with_the_lowest_number_receives(profile, resource):
    make(profile, resource, "low@example.com", priority=5)
    top = make(profile, resource, "top@example.com", priority=0)

    delivery = resolve(profile, resource)

    assert delivery.subscription == top
    assert delivery


def test_on_equal_priority_the_oldest_receives(profile, resource):
    first = make(profile, resource, "first@example.com", priority=1)
    make(profile, resource, "second@example.com", priority=1)

    assert resolve(profile, resource).subscription == first


@pytest.mark.parametrize(
    "status", ["unsubscribed", "complainer", "hard_bounced", "unconfirmed", "suspended", "invalid"]
)
def test_a_subscription_not_subscribed_is_skipped(profile, resource, status):
    make(profile, resource, "top@example.com", priority=0, status=status)
    second = make(profile, resource, "second@example.com", priority=1)

    assert resolve(profile, resource).subscription == second


@pytest.mark.parametrize(
    "status", ["unsubscribed", "complainer", "hard_bounced", "unconfirmed", "suspended", "invalid"]
)
def test_a_global_status_other_than_subscribed_forbids_everything(profile, resource, status):
    make(profile, resource, "a@example.com")
    profile.status = status
    profile.save()

    delivery = resolve(profile, resource)

    assert delivery.subscription is None
    assert delivery.reason == Delivery.GLOBAL_STATUS
    assert not delivery


def test_without_a_subscribed_subscription_nobody_receives(profile, resource):
    make(profile, resource, "a@example.com", status="unsubscribed")

    delivery = resolve(profile, resource)

    assert (delivery.subscription, delivery.reason) == (None, Delivery.NO_SUBSCRIBED)


def test_a_deleted_subscription_never_receives(profile, resource):
    make(profile, resource, "a@example.com", deleted_at=timezone.now())

    assert resolve(profile, resource).reason == Delivery.NO_SUBSCRIBED


def test_other_channels_and_resources_do_not_count(profile, resource):
    make(profile, resource, "+14155550123", channel=channel("sms"))
    make(profile, ResourceFactory(name="Shop"), "shop@example.com")

    assert resolve(profile, resource).reason == Delivery.NO_SUBSCRIBED


def test_a_message_of_a_category_goes_to_a_subscription_subscribed_to_it(profile, resource):
    news = CategoryFactory(resource=resource, name="News")
    top = make(profile, resource, "top@example.com", priority=0)
    reader = make(profile, resource, "reader@example.com", priority=1)
    reader.categories.add(news)

    assert resolve(profile, resource, category=news).subscription == reader
    assert resolve(profile, resource).subscription == top


def test_nobody_receives_a_category_no_subscription_is_subscribed_to(profile, resource):
    news = CategoryFactory(resource=resource, name="News")
    make(profile, resource, "a@example.com")

    delivery = resolve(profile, resource, category=news)

    assert (delivery.subscription, delivery.reason) == (None, Delivery.CATEGORY_UNSUBSCRIBED)


def test_a_suppressed_address_is_skipped(profile, resource):
    make(profile, resource, "bounced@example.com", priority=0)
    fallback = make(profile, resource, "fallback@example.com", priority=1)
    SuppressedAddress.objects.suppress("Bounced@Example.com", reason="hard_bounced")

    assert resolve(profile, resource).subscription == fallback


def test_when_every_address_is_suppressed_the_reason_says_so(profile, resource):
    make(profile, resource, "bounced@example.com")
    SuppressedAddress.objects.suppress("bounced@example.com", reason="hard_bounced")

    delivery = resolve(profile, resource)

    assert (delivery.subscription, delivery.reason) == (None, Delivery.SUPPRESSED)
    assert "bounced@example.com" in delivery.message


def test_a_hard_bounced_profile_suppresses_its_email_and_stops_delivery(profile, resource):
    make(profile, resource, profile.email)
    change_status(profile, "hard_bounced", source="hard_bounce")

    delivery = resolve(profile, resource)

    assert delivery.reason == Delivery.GLOBAL_STATUS
    assert SuppressedAddress.objects.is_suppressed(profile.email)


def test_a_profile_in_the_global_control_group_gets_no_marketing_message(profile, resource):
    make(profile, resource, profile.email)
    profile.in_control_group = True
    profile.save()

    delivery = resolve(profile, resource)

    assert (delivery.subscription, delivery.reason) == (None, Delivery.CONTROL_GROUP)
    assert "control group" in delivery.message


def test_the_subscriptions_section_says_nobody_receives_in_the_control_group(
    client, bob, profile, resource
):
    make(profile, resource, profile.email)
    profile.in_control_group = True
    profile.save()
    client.force_login(bob)

    html = client.get(f"/profiles/{profile.profile_id}/subscriptions/").content.decode()

    assert "Nobody receives: The profile is in the global control group" in html
