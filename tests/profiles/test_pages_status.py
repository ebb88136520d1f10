"""Changing a profile's global status from its page header."""

import pytest
from django.urls import reverse

from history.models import Event
from subscriptions.models import SuppressedAddress
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ada@example.com")


def url(profile):
    return reverse("profiles:status", args=[profile.profile_id])


def test_it_changes_the_status_in_place(client, bob, profile):
    client.force_login(bob)
    response = client.post(url(profile), {"status": "unsubscribed"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="profile-header"' in html and "<html" not in html
    assert 'class="badge status-unsubscribed"' in html
    profile.refresh_from_db()
    assert profile.status == "unsubscribed"
    assert Event.objects.filter(profile=profile, type="status_changed").count() == 1


def test_it_suppresses_the_address_of_a_hard_bounced_profile(client, bob, profile):
    client.force_login(bob)
    client.post(url(profile), {"status": "hard_bounced"}, HTTP_HX_REQUEST="true")
    assert SuppressedAddress.objects.is_suppressed("ada@example.com")


def test_it_redirects_back_to_the_page_without_htmx(client, bob, profile):
    client.force_login(bob)
    response = client.post(url(profile), {"status": "suspended"})
    assert response.status_code == 302
    assert response["Location"] == profile.get_absolute_url()


def test_it_rejects_an_unknown_status_and_saves_nothing(client, bob, profile):
    client.force_login(bob)
    response = client.post(url(profile), {"status": "gone"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    profile.refresh_from_db()
    assert profile.status == "subscribed"
    assert not Event.objects.filter(profile=profile, type="status_changed").exists()


def test_it_records_nothing_when_the_status_is_unchanged(client, bob, profile):
    client.force_login(bob)
    client.post(url(profile), {"status": "subscribed"}, HTTP_HX_REQUEST="true")
    assert not Event.objects.filter(profile=profile, type="status_changed").exists()


def test_it_rejects_get(client, bob, profile):
    client.force_login(bob)
    assert client.get(url(profile)).status_code == 405


def test_it_refuses_users_who_may_not_change_the_profile(client, charlie, bob, profile):
    client.force_login(charlie)
    assert client.post(url(profile), {"status": "invalid"}).status_code == 403
    stranger = ProfileFactory()
    client.force_login(bob)
    assert client.post(url(stranger), {"status": "invalid"}).status_code == 404
    profile.refresh_from_db()
    stranger.refresh_from_db()
    assert profile.status == stranger.status == "subscribed"
