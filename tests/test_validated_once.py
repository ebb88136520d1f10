"""Every write checks its values once: the custom-value checker runs one time per write, on
the pages, over the API, in the admin and in an import alike (the rules live in the domain
and the operations; forms and serializers only read what was sent)."""

import pytest
from django.urls import reverse

from core import typedfields
from profiles.models import Profile
from subscriptions.models import Subscription
from tests.factories import CustomFieldFactory, ProfileFactory
from tests.subscriptions.factories import ResourceFactory, SubscriptionFieldFactory, channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def checks(monkeypatch):
    """Whose custom values the checker checked, call by call ("database …" or "resource …")."""
    calls = []
    checker = typedfields.check_values

    def check_values(*args, owner="", **kwargs):
        calls.append(owner.split()[0])
        return checker(*args, owner=owner, **kwargs)

    monkeypatch.setattr(typedfields, "check_values", check_values)
    return calls


@pytest.fixture
def plan(database):
    return CustomFieldFactory(database=database, name="plan", type="enum", options=["gold"])


@pytest.fixture
def resource(db):
    resource = ResourceFactory(name="Website")
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    return resource


def test_an_api_profile_create_and_change_check_once_each(as_bob, database, plan, checks):
    created = as_bob.post(
        "/api/v1/profiles/", {"database": database.pk, "fields": {"plan": "gold"}}, format="json"
    )
    assert created.status_code == 201
    assert len(checks) == 1
    url = f"/api/v1/profiles/{created.json()['profile_id']}/"
    assert as_bob.patch(url, {"fields": {"plan": "gold"}}, format="json").status_code == 200
    assert len(checks) == 2


def test_a_page_edit_and_create_check_once_each(client, bob, database, plan, checks):
    profile = ProfileFactory(database=database)
    client.force_login(bob)
    url = reverse("profiles:edit", args=[profile.profile_id]) + "?tab=additional"
    assert client.post(url, {"custom.plan": "gold"}).status_code == 302
    assert len(checks) == 1
    data = {"database": database.pk, "status": "subscribed", "custom.plan": "gold"}
    assert client.post(reverse("profiles:create"), data).status_code == 302
    assert len(checks) == 2


def test_an_admin_profile_save_checks_once(client, alice, database, plan, checks):
    client.force_login(alice)
    response = client.post(
        reverse("admin:profiles_profile_add"),
        {"database": database.pk, "status": "subscribed", "custom_values": '{"plan": "gold"}'},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(checks) == 1


def test_an_import_checks_each_row_once(as_bob, database, plan, checks):
    rows = [{"email": "a@example.com", "fields": {"plan": "gold"}}, {"email": "b@example.com"}]
    response = as_bob.post(
        "/api/v1/profiles/import/",
        {"database": database.pk, "match": "email", "profiles": rows},
        format="json",
    )
    assert [row["status"] for row in response.json()["results"]] == ["created", "created"]
    assert len(checks) == 2


def test_a_subscription_over_the_api_and_on_the_page_checks_once_each(
    as_bob, client, bob, database, resource, checks
):
    profile = ProfileFactory(database=database)
    body = {"resource": resource.pk, "channel": "email", "contact": "a@example.com"}
    url = f"/api/v1/profiles/{profile.profile_id}/subscriptions/"
    assert as_bob.post(url, body | {"fields": {"seats": 2}}, format="json").status_code == 201
    assert checks == ["resource"]
    client.force_login(bob)
    data = {
        "resource": resource.pk,
        "channel": "sms",
        "contact": "+14155550123",
        "status": "subscribed",
        "field_seats": "3",
    }
    resource.channels.add(channel("sms"))
    response = client.post(reverse("subscriptions:add", args=[profile.profile_id]), data)
    assert response.status_code == 302
    assert checks == ["resource"] * 2
    assert Subscription.objects.filter(profile=profile).count() == 2
    assert Profile.objects.count() == 1
