"""The admin of resources, channels, categories and subscriptions: the same rules as the API."""

import pytest
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from subscriptions.models import Channel, Subscription
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    channel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    "model", ["channel", "resource", "category", "subscriptionfield", "subscription"]
)
def test_every_model_has_a_searchable_filterable_list(admin_client, model, profile, resource):
    SubscriptionFactory(profile=profile, resource=resource, contact="find.me@example.com")

    url = reverse(f"admin:subscriptions_{model}_changelist")
    response = admin_client.get(url, {"q": "find"})

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.list_filter
    assert changelist.search_fields


def test_the_subscription_list_finds_by_contact_and_shows_deleted_ones(
    admin_client, profile, resource
):
    SubscriptionFactory(profile=profile, resource=resource, contact="live@example.com")
    SubscriptionFactory(
        profile=profile, resource=resource, contact="gone@example.com", deleted_at=timezone.now()
    )
    url = reverse("admin:subscriptions_subscription_changelist")

    everything = admin_client.get(url).content.decode()
    deleted = admin_client.get(url, {"deleted": "yes"}).content.decode()
    found = admin_client.get(url, {"q": "live@"}).content.decode()

    assert "live@example.com" in everything and "gone@example.com" in everything
    assert "gone@example.com" in deleted and "live@example.com" not in deleted
    assert "live@example.com" in found and "gone@example.com" not in found


def admin_add_data(profile, resource, **changes):
    return {
        "profile": profile.pk,
        "resource": resource.pk,
        "channel": channel("email").pk,
        "contact": "Ann@Example.com",
        "status": "subscribed",
        "priority": "",
        "custom_values": "{}",
        "reg_date_0": "",
        "reg_date_1": "",
    } | changes


def test_adding_in_the_admin_applies_the_rules_and_records_history(admin_client, profile):
    resource = ResourceFactory(name="App", increase_priority_for_new=True)
    older = SubscriptionFactory(profile=profile, resource=resource, priority=0)

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"), admin_add_data(profile, resource)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    new = Subscription.objects.get(contact="ann@example.com")
    assert new.priority == 0
    older.refresh_from_db()
    assert older.priority == 1
    assert Event.objects.filter(profile=profile, type="subscribed").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact": "nope"}, "contact"),
        ({"custom_values": '{"unknown": 1}'}, "custom_values"),
        ({"status": "happy"}, "status"),
    ],
)
def test_bad_input_in_the_admin_is_shown_beside_the_field(
    admin_client, profile, resource, changes, field
):
    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"),
        admin_add_data(profile, resource, **changes),
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_a_category_of_another_resource_is_refused_in_the_admin(admin_client, profile, resource):
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"))

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"),
        admin_add_data(profile, resource, categories=[elsewhere.pk]),
    )

    assert "categories" in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_changing_the_status_in_the_admin_records_the_event(admin_client, profile, resource):
    subscription = SubscriptionFactory(profile=profile, resource=resource, custom_values={})
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])

    response = admin_client.post(
        url,
        {
            "status": "unsubscribed",
            "priority": "2",
            "custom_values": "{}",
            "reg_date_0": "",
            "reg_date_1": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("unsubscribed", 2)
    assert Event.objects.get(type="unsubscribed").data["subscription"] == subscription.public_id


def test_deleting_in_the_admin_is_soft(admin_client, profile, resource):
    subscription = SubscriptionFactory(profile=profile, resource=resource)
    url = reverse("admin:subscriptions_subscription_delete", args=[subscription.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert Subscription.all_objects.get().deleted_at is not None
    assert Event.objects.filter(type="subscription_deleted").exists()


def test_a_builtin_channel_cannot_be_deleted(admin_client):
    email = Channel.objects.get(slug="email")

    response = admin_client.get(reverse("admin:subscriptions_channel_delete", args=[email.pk]))

    assert response.status_code == 403
