"""The double opt-in link: good, tampered, expired, gone; public (no login)."""

from datetime import timedelta

import pytest
from django.core import signing

from history.models import Event
from operations import subscriptions as services
from operations.events import ingest_event
from subscriptions.models import CONFIRMATION_MAX_AGE
from tests.subscriptions.factories import channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(profile, resource):
    return services.subscribe(
        profile,
        resource=resource,
        channel=channel("email"),
        contact="a@example.com",
        status="unconfirmed",
    ).subscription


def test_the_link_lasts_seven_days():
    assert timedelta(days=7) == CONFIRMATION_MAX_AGE


def test_opening_the_link_confirms_the_subscription_without_login(client, waiting):
    Event.objects.all().delete()

    response = client.get(waiting.confirmation_path())

    assert response.status_code == 200
    assert "Subscription confirmed" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "subscribed"
    click = Event.objects.get(type="confirmation_click")
    assert click.data["subscription"] == waiting.public_id
    assert click.data["url"].startswith("http://testserver/subscriptions/confirm/")
    subscribed = Event.objects.get(type="subscribed")
    assert (subscribed.data["from"], subscribed.data["to"]) == ("unconfirmed", "subscribed")


def test_it_also_confirms_an_unconfirmed_profile(client, profile, waiting):
    profile.status = "unconfirmed"
    profile.save()

    client.get(waiting.confirmation_path())

    profile.refresh_from_db()
    assert profile.status == "subscribed"
    change = Event.objects.get(type="status_changed")
    assert change.data == {"from": "unconfirmed", "to": "subscribed", "source": "confirmation"}


@pytest.mark.parametrize("status", ["unsubscribed", "suspended", "hard_bounced"])
def test_it_leaves_a_profile_whose_global_status_is_not_unconfirmed(
    client, profile, waiting, status
):
    profile.status = status
    profile.save()

    client.get(waiting.confirmation_path())

    profile.refresh_from_db()
    assert profile.status == status


def test_a_second_click_changes_nothing_more(client, waiting):
    client.get(waiting.confirmation_path())

    response = client.get(waiting.confirmation_path())

    assert response.status_code == 200
    assert "Already confirmed" in response.content.decode()
    assert Event.objects.filter(type="subscribed", data__to="subscribed").count() == 1
    assert Event.objects.filter(type="confirmation_click").count() == 2


def test_an_old_link_does_not_undo_an_unsubscribe(client, waiting):
    path = waiting.confirmation_path()
    services.set_status(waiting, "subscribed")
    services.set_status(waiting, "unsubscribed")

    response = client.get(path)

    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == "unsubscribed"


def test_a_tampered_link_is_refused(client, waiting):
    token = waiting.confirmation_token()
    public_id, rest = token.split(":", 1)
    forged = ("0" * 24 if public_id != "0" * 24 else "1" * 24) + ":" + rest

    response = client.get(f"/subscriptions/confirm/{forged}/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "unconfirmed"
    assert not Event.objects.filter(type="confirmation_click").exists()


def test_a_link_signed_for_something_else_is_refused(client, waiting):
    token = signing.TimestampSigner(salt="another.purpose").sign(waiting.public_id)

    assert client.get(f"/subscriptions/confirm/{token}/").status_code == 400


def test_an_expired_link_is_refused(client, waiting, monkeypatch):
    token = waiting.confirmation_token()
    real_time = signing.time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real_time() + CONFIRMATION_MAX_AGE.total_seconds() + 60
    )

    response = client.get(f"/subscriptions/confirm/{token}/")

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "unconfirmed"


def test_a_link_still_works_just_before_it_expires(client, waiting, monkeypatch):
    token = waiting.confirmation_token()
    real_time = signing.time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real_time() + CONFIRMATION_MAX_AGE.total_seconds() - 60
    )

    assert client.get(f"/subscriptions/confirm/{token}/").status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == "subscribed"


def test_the_link_of_a_deleted_subscription_is_refused(client, waiting):
    services.delete_subscription(waiting)

    assert client.get(waiting.confirmation_path()).status_code == 404


def test_it_rejects_a_post(client, waiting):
    assert client.post(waiting.confirmation_path()).status_code == 405


@pytest.mark.parametrize("path", ["link", "reported"])
def test_the_link_and_a_reported_click_confirm_alike(client, profile, waiting, path):
    """One implementation of double opt-in, whichever way the click arrives."""
    services.set_status(waiting, "subscribed")  # an earlier click confirmed the subscription
    profile.status = "unconfirmed"
    profile.save()

    if path == "link":
        client.get(waiting.confirmation_path())
    else:
        ingest_event(profile, "confirmation_click", {"subscription": waiting.public_id})

    profile.refresh_from_db()
    waiting.refresh_from_db()
    assert (profile.status, waiting.status) == ("subscribed", "subscribed")
    change = Event.objects.get(type="status_changed")
    assert change.data == {"from": "unconfirmed", "to": "subscribed", "source": "confirmation"}


@pytest.mark.parametrize("gone", ["subscription", "profile"])
def test_a_link_opened_as_its_subscription_is_deleted_says_it_is_gone(
    client, waiting, monkeypatch, gone
):
    """The subscription read from the link, then deleted (or its profile) by another
    request before the link's write took its rows: before, a 500 ("This subscription was
    deleted.") in 5 of 20 rounds of a soak."""
    from subscriptions.models import Subscription

    real = Subscription.from_confirmation_token.__func__

    def read_then_deleted(cls, token, **kwargs):
        subscription = real(cls, token, **kwargs)
        if gone == "subscription":
            services.delete_subscription(Subscription.objects.get(pk=subscription.pk))
        else:
            type(subscription.profile).objects.filter(pk=subscription.profile_id).delete()
        return subscription

    monkeypatch.setattr(Subscription, "from_confirmation_token", classmethod(read_then_deleted))
    response = client.get(waiting.confirmation_path())
    assert response.status_code == 404
    assert "no longer exists" in response.content.decode()
    assert not Event.objects.filter(type="confirmation_click").exists()
