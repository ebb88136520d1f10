"""subscriptions.services.subscribe: validation, history, custom fields, device fields."""

import pytest
from django.core.exceptions import ValidationError

from history.models import Event
from operations import subscriptions as services
from subscriptions.models import Subscription
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFieldFactory,
    channel,
)

pytestmark = pytest.mark.django_db


def test_it_subscribes_a_profile_and_records_the_event(profile, resource, email, news):
    result = services.subscribe(
        profile, resource=resource, channel=email, contact="Ann@Example.com", categories=[news.pk]
    )

    subscription = Subscription.objects.get()
    assert result.subscription == subscription
    assert result.replaced == []
    assert subscription.contact == "ann@example.com"
    assert subscription.status == "subscribed"
    assert subscription.priority == 0
    assert len(subscription.public_id) == 24
    assert subscription.reg_date is not None
    assert list(subscription.categories.all()) == [news]
    event = Event.objects.get(profile=profile, type="subscribed")
    assert event.data == {
        "subscription": subscription.public_id,
        "resource": "Website",
        "resource_id": resource.pk,
        "channel": "email",
        "contact": "ann@example.com",
        "status": "subscribed",
    }


def test_it_keeps_device_fields_registration_and_custom_values(profile, resource):
    SubscriptionFieldFactory(resource=resource, name="plan", type="enum", options=["free", "pro"])
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    result = services.subscribe(
        profile,
        resource=resource,
        channel=channel("push"),
        contact="token-1",
        custom_values={"plan": "pro", "seats": "3"},
        device={"device_type": "mobile", "platform": "android", "ad_tracking": True},
        registration={"reg_ip": "203.0.113.9", "reg_source": "app"},
    )

    subscription = Subscription.objects.get(pk=result.subscription.pk)
    assert subscription.custom_values == {"plan": "pro", "seats": 3}
    assert subscription.device_type == "mobile"
    assert subscription.platform == "android"
    assert subscription.ad_tracking is True
    assert subscription.reg_ip == "203.0.113.9"
    assert subscription.reg_source == "app"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact": "not an address"}, "contact"),
        ({"status": "happy"}, "status"),
        ({"priority": "high"}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"priority": True}, "priority"),
        ({"categories": [999999]}, "categories"),
        ({"categories": ["news"]}, "categories"),
        ({"custom_values": {"unknown": 1}}, "custom_values.unknown"),
        ({"custom_values": {"seats": "many"}}, "custom_values.seats"),
        ({"device": {"device_type": "tablet"}}, "device_type"),
        ({"device": {"platform_timezone": "Mars/Olympus"}}, "platform_timezone"),
        ({"device": {"colour": "red"}}, "device"),
        ({"channel": None}, "channel"),
        ({"resource": None}, "resource"),
    ],
)
def test_it_names_the_bad_field_and_saves_nothing(profile, resource, email, changes, field):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    arguments = {"resource": resource, "channel": email, "contact": "ann@example.com"} | changes

    with pytest.raises(ValidationError) as error:
        services.subscribe(profile, **arguments)

    assert field in error.value.message_dict
    assert not Subscription.all_objects.exists()
    assert not Event.objects.filter(type="subscribed").exists()


def test_it_rejects_a_category_of_another_resource(profile, resource, email):
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"), name="News")

    with pytest.raises(ValidationError) as error:
        services.subscribe(
            profile,
            resource=resource,
            channel=email,
            contact="a@example.com",
            categories=[elsewhere],
        )

    assert "Unknown category" in error.value.message_dict["categories"][0]
    assert not Subscription.objects.exists()


def test_it_rejects_a_channel_the_resource_has_not_enabled(profile, email):
    sms_only = ResourceFactory(name="Shop", channels=[channel("sms")])

    with pytest.raises(ValidationError) as error:
        services.subscribe(profile, resource=sms_only, channel=email, contact="a@example.com")

    assert "not enabled" in error.value.message_dict["channel"][0]


def test_it_requires_the_required_custom_fields(profile, resource, email):
    SubscriptionFieldFactory(resource=resource, name="plan", required=True)

    with pytest.raises(ValidationError) as error:
        services.subscribe(profile, resource=resource, channel=email, contact="a@example.com")

    assert error.value.message_dict["custom_values.plan"] == ["This field is required."]


def test_it_refuses_the_same_contact_twice_in_one_channel(profile, resource, email):
    services.subscribe(profile, resource=resource, channel=email, contact="a@example.com")

    with pytest.raises(ValidationError) as error:
        services.subscribe(profile, resource=resource, channel=email, contact="A@example.com")

    assert "already has a subscription" in error.value.message_dict["contact"][0]
    assert Subscription.objects.count() == 1


def test_the_same_contact_may_subscribe_again_after_a_deletion(profile, resource, email):
    first = services.subscribe(profile, resource=resource, channel=email, contact="a@example.com")
    services.delete_subscription(first.subscription)

    second = services.subscribe(profile, resource=resource, channel=email, contact="a@example.com")

    assert second.subscription.pk != first.subscription.pk
    assert Subscription.all_objects.count() == 2


def test_update_changes_status_priority_categories_fields_and_records_history(
    profile, resource, email, news, offers
):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    subscription = services.subscribe(
        profile, resource=resource, channel=email, contact="a@example.com", categories=[news]
    ).subscription

    services.update_subscription(
        subscription,
        status="unsubscribed",
        priority=7,
        categories=[offers.pk],
        custom_values={"seats": 2},
        device={"browser": "firefox"},
    )

    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"
    assert subscription.priority == 7
    assert list(subscription.categories.all()) == [offers]
    assert subscription.custom_values == {"seats": 2}
    assert subscription.browser == "firefox"
    unsubscribed = Event.objects.get(type="unsubscribed")
    assert unsubscribed.data["from"] == "subscribed"
    assert unsubscribed.data["to"] == "unsubscribed"
    assert unsubscribed.data["subscription"] == subscription.public_id
    categories = Event.objects.get(type="subscription_categories_changed")
    assert categories.data["subscribed"] == ["Offers"]
    assert categories.data["unsubscribed"] == ["News"]


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("subscribed", "subscribed"),
        ("unsubscribed", "unsubscribed"),
        ("suspended", "subscription_status_changed"),
        ("hard_bounced", "subscription_status_changed"),
    ],
)
def test_every_status_change_records_one_event(profile, resource, email, status, event_type):
    subscription = services.subscribe(
        profile, resource=resource, channel=email, contact="a@example.com", status="unconfirmed"
    ).subscription
    Event.objects.all().delete()

    services.set_status(subscription, status)

    event = Event.objects.get()
    assert event.type == event_type
    assert event.data["from"] == "unconfirmed"
    assert event.data["to"] == status


def test_an_unchanged_status_records_nothing(profile, resource, email):
    subscription = services.subscribe(
        profile, resource=resource, channel=email, contact="a@example.com"
    ).subscription
    Event.objects.all().delete()

    services.update_subscription(subscription, status="subscribed", priority=3)

    assert not Event.objects.exists()


def test_a_bad_update_saves_nothing(profile, resource, email):
    subscription = services.subscribe(
        profile, resource=resource, channel=email, contact="a@example.com"
    ).subscription

    with pytest.raises(ValidationError) as error:
        services.update_subscription(subscription, status="unsubscribed", priority="x")

    assert set(error.value.message_dict) == {"priority"}
    subscription.refresh_from_db()
    assert subscription.status == "subscribed"


def test_delete_is_soft_and_recorded(profile, resource, email):
    subscription = services.subscribe(
        profile, resource=resource, channel=email, contact="a@example.com"
    ).subscription

    services.delete_subscription(subscription)

    assert not Subscription.objects.exists()
    kept = Subscription.all_objects.get()
    assert kept.deleted_at is not None
    assert Event.objects.get(type="subscription_deleted").data["reason"] == "deleted"
    with pytest.raises(ValidationError):
        services.update_subscription(kept, status="subscribed")
