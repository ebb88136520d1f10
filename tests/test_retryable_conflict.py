"""A write PostgreSQL cancels because it lost a race (a deadlock, a serialization failure)
is answered 503 with Retry-After, nothing of it kept; any other database error stays a 500."""

import psycopg
import pytest
from django.db import OperationalError
from django.urls import reverse

from history.models import Event
from operations import events as event_operations
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def lost_race(sqlstate_error=psycopg.errors.DeadlockDetected):
    """Return a function raising what Django raises when PostgreSQL cancels a statement."""

    def fail(*args, **kwargs):
        try:
            raise sqlstate_error("deadlock detected")
        except psycopg.Error as cause:
            raise OperationalError(str(cause)) from cause

    return fail


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


def click(profile):
    url = "https://shop.example/?utm_source=news"
    return {"profile_id": profile.profile_id, "type": "click", "data": {"url": url}}


@pytest.mark.parametrize(
    "error", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure]
)
def test_an_event_batch_that_lost_a_race_answers_503_and_keeps_nothing(
    as_bob, profile, monkeypatch, error
):
    real = event_operations._apply_batch_effects

    def effects_then_deadlock(effectful):
        real(effectful)  # the events and their effects written, then the database gives up
        lost_race(error)()

    monkeypatch.setattr(event_operations, "_apply_batch_effects", effects_then_deadlock)
    response = as_bob.post("/api/v1/events/", [click(profile)] * 3, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "Send it again" in response.json()["detail"]
    assert not Event.objects.filter(profile=profile).exists()
    profile.refresh_from_db()
    assert profile.utm_source == ""


def test_a_page_whose_save_lost_a_race_answers_503_saying_to_try_again(
    client, bob, profile, monkeypatch
):
    monkeypatch.setattr("web.profiles.views.edit.update_profile", lost_race())
    client.force_login(bob)
    url = reverse("profiles:edit", args=[profile.profile_id])
    response = client.post(url, {"first_name": "Ada"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "not saved" in response.content.decode()


def test_another_database_error_is_not_taken_for_a_lost_race(as_bob, profile, monkeypatch):
    monkeypatch.setattr(
        event_operations, "_apply_batch_effects", lost_race(psycopg.errors.DiskFull)
    )
    with pytest.raises(OperationalError):
        as_bob.post("/api/v1/events/", [click(profile)], format="json")
