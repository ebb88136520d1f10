"""The audit log of subscriptions, through every way in (see tests/audit for profiles)."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from operations import subscriptions as services
from tests.subscriptions.factories import channel

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def subscribe(profile, resource, contact, **kwargs):
    return services.subscribe(
        profile, resource=resource, channel=channel("email"), contact=contact, **kwargs
    ).subscription


def entries(subscription):
    return list(
        AuditEntry.objects.filter(
            object_type="subscriptions.Subscription", object_id=subscription.public_id
        ).order_by("id")
    )


def test_an_api_subscription_is_logged_with_who_through_what_and_its_values(
    client, bob, profile, resource
):
    client.force_login(bob)
    response = client.post(
        f"/api/v1/profiles/{profile.profile_id}/subscriptions/",
        {"resource": resource.pk, "channel": "email", "contact": "ann@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()

    [entry] = entries(profile.subscriptions.get())
    assert (entry.action, entry.channel, entry.actor, entry.profile_id) == (
        "create",
        "api",
        bob,
        profile.profile_id,
    )
    assert entry.changes["contact"] == [None, "ann@example.com"]
    assert entry.changes["status"] == [None, "subscribed"]


def test_a_refused_subscription_writes_no_entry(client, bob, profile, resource):
    client.force_login(bob)
    response = client.post(
        f"/api/v1/profiles/{profile.profile_id}/subscriptions/",
        {"resource": resource.pk, "channel": "email", "contact": "not an address"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(object_type="subscriptions.Subscription").exists()


def test_a_status_and_priority_change_in_place_is_one_entry_with_old_and_new(
    client, bob, profile, resource
):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(bob)
    prefix = f"s-{subscription.public_id}"

    client.post(
        reverse("subscriptions:change", args=[profile.profile_id, subscription.public_id]),
        {f"{prefix}-status": "suspended", f"{prefix}-priority": "9"},
        **HTMX,
    )

    entry = entries(subscription)[-1]
    assert (entry.action, entry.channel, entry.actor_name) == ("update", "page", "bob")
    assert entry.changes == {"status": ["subscribed", "suspended"], "priority": [0, 9]}


def test_changing_categories_is_one_entry_with_the_names_before_and_after(
    client, bob, profile, resource, news, offers
):
    subscription = subscribe(profile, resource, "a@example.com", categories=[news])
    before = len(entries(subscription))
    client.force_login(bob)

    client.post(
        reverse("subscriptions:categories", args=[profile.profile_id, subscription.public_id]),
        {"categories": [offers.pk]},
        **HTMX,
    )

    new = entries(subscription)[before:]
    assert len(new) == 1
    assert new[0].changes == {"categories": [["Website: News"], ["Website: Offers"]]}
    assert new[0].channel == "page"


def test_deleting_a_subscription_is_logged_as_a_delete(client, alice, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(alice)

    response = client.delete(f"/api/v1/subscriptions/{subscription.public_id}/")

    assert response.status_code == 204
    entry = entries(subscription)[-1]
    assert (entry.action, entry.channel, entry.actor) == ("delete", "api", alice)
    assert entry.changes["deleted_at"][0] is None


def test_an_admin_change_is_logged_through_the_admin(client, alice, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(alice)
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data |= {
        "profile": profile.pk,
        "resource": resource.pk,
        "channel": channel("email").pk,
        "contact": "a@example.com",
        "status": "unsubscribed",
        "priority": 0,
        "custom_values": "{}",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = entries(subscription)[-1]
    assert (entry.action, entry.channel, entry.actor) == ("update", "admin", alice)
    assert entry.changes["status"] == ["subscribed", "unsubscribed"]
