"""The personal-data export download and the delete behind a confirmation."""

import json

import pytest
from django.urls import reverse

from history.models import Event
from operations.segments import add_to_segment
from profiles.models import Profile
from segments.models import Segment
from tests.factories import CustomFieldFactory, EventFactory, ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    CustomFieldFactory(database=database, name="plan")
    profile = ProfileFactory(
        database=database,
        email="ada@example.com",
        first_name="Ada",
        phones=["+12025550179"],
        custom_values={"plan": "gold"},
    )
    EventFactory(profile=profile, type="open", data={"mailing": 7})
    add_to_segment(Segment.objects.create(name="VIP", database=database), profile)
    return profile


def url(profile, name):
    return reverse(f"profiles:{name}", args=[profile.profile_id])


def test_it_downloads_the_personal_data_as_json(client, bob, profile):
    client.force_login(bob)
    response = client.get(url(profile, "export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="profile-{profile.profile_id}.json"'
    )
    data = json.loads(response.content)
    text = json.dumps(data)
    for value in (profile.profile_id, profile.md5, profile.xxh, "ada@example.com", "Ada"):
        assert value in text
    assert "+12025550179" in text and "gold" in text
    assert {"open", "segment_entered"} <= {event["type"] for event in data["events"]}
    assert [segment["name"] for segment in data["segments"]] == ["VIP"]


def test_it_refuses_an_export_without_the_permission(client, charlie, database, profile):
    from tests.conftest import grant
    from tests.factories import UserFactory

    reader = grant(UserFactory(username="reader"), "view_profile")
    database.members.add(reader)
    client.force_login(reader)
    assert client.get(url(profile, "export")).status_code == 403
    client.force_login(charlie)
    assert client.get(url(profile, "export")).status_code == 403


def test_it_hides_the_export_of_another_databases_profile(client, bob):
    client.force_login(bob)
    assert client.get(url(ProfileFactory(), "export")).status_code == 404


def test_it_asks_for_confirmation_before_deleting(client, alice, profile):
    client.force_login(alice)
    response = client.get(url(profile, "delete"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Delete this profile?" in html and "2 events" in html
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_the_confirmation_does_not_count_a_long_history(client, alice, profile, monkeypatch):
    """Past EXACT_EVENTS_MAX the page gives PostgreSQL's estimate ("about …") rather than
    counting every event of the profile (SQLite, for small databases, counts them)."""
    from django.db import connection

    import web.profiles.views.delete

    monkeypatch.setattr(web.profiles.views.delete, "EXACT_EVENTS_MAX", 1)
    client.force_login(alice)
    html = client.get(url(profile, "delete")).content.decode()
    if connection.vendor == "postgresql":
        assert "(about " in html  # the estimate, at least what was counted before stopping
    else:
        assert "(2 events)" in html


def test_it_deletes_the_profile_with_its_history(client, alice, profile):
    client.force_login(alice)
    response = client.post(url(profile, "delete"))
    assert response.status_code == 302 and response["Location"] == reverse("profiles:list")
    assert not Profile.objects.filter(pk=profile.pk).exists()
    assert not Event.objects.filter(profile_id=profile.pk).exists()
    assert Segment.objects.get(name="VIP").memberships.count() == 0


def test_it_refuses_to_delete_without_the_permission(client, bob, profile):
    client.force_login(bob)
    assert client.get(url(profile, "delete")).status_code == 403
    assert client.post(url(profile, "delete")).status_code == 403
    assert Profile.objects.filter(pk=profile.pk).exists()
    assert Event.objects.filter(profile=profile).count() == 2


def test_it_hides_another_databases_profile_from_delete(client, bob):
    stranger = ProfileFactory()
    client.force_login(bob)
    assert client.post(url(stranger, "delete")).status_code == 404
    assert Profile.objects.filter(pk=stranger.pk).exists()


def test_it_rejects_other_methods_on_delete(client, alice, profile):
    client.force_login(alice)
    assert client.put(url(profile, "delete")).status_code == 405
    assert Profile.objects.filter(pk=profile.pk).exists()
