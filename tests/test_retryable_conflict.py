"""A write PostgreSQL cancels because it lost a race (a deadlock, a serialization failure)
is answered 503 with Retry-After, nothing of it kept; any other database error stays a 500."""

import psycopg
import pytest
from django.db import IntegrityError, OperationalError
from django.urls import reverse

from core.races import LostRace
from history.models import Event
from jobs import runner
from operations import events as event_operations
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def failing(sqlstate_error=psycopg.errors.DeadlockDetected, django_error=OperationalError):
    """Return a function raising what Django raises for PostgreSQL's ``sqlstate_error``."""

    def fail(*args, **kwargs):
        try:
            raise sqlstate_error(sqlstate_error.__name__)
        except psycopg.Error as cause:
            raise django_error(str(cause)) from cause

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
        failing(error)()

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
    monkeypatch.setattr("web.profiles.views.edit.update_profile", failing())
    client.force_login(bob)
    url = reverse("profiles:edit", args=[profile.profile_id])
    response = client.post(url, {"first_name": "Ada"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "not saved" in response.content.decode()


def test_another_database_error_is_not_taken_for_a_lost_race(as_bob, profile, monkeypatch):
    monkeypatch.setattr(event_operations, "_apply_batch_effects", failing(psycopg.errors.DiskFull))
    with pytest.raises(OperationalError):
        as_bob.post("/api/v1/events/", [click(profile)], format="json")


def test_a_lost_race_found_under_lock_is_a_503_too(as_bob, profile, monkeypatch):
    def gone(*args, **kwargs):
        raise LostRace("Profile deleted meanwhile.")

    monkeypatch.setattr(event_operations, "_apply_batch_effects", gone)
    response = as_bob.post("/api/v1/events/", [click(profile)], format="json")
    assert response.status_code == 503
    assert not Event.objects.filter(profile=profile).exists()


def test_a_reference_deleted_before_commit_is_a_503(as_bob, profile, monkeypatch):
    """PostgreSQL checks an event's profile at commit: deleted meanwhile, a violation."""
    violation = failing(psycopg.errors.ForeignKeyViolation, IntegrityError)
    monkeypatch.setattr(event_operations, "_apply_batch_effects", violation)
    response = as_bob.post("/api/v1/events/", [click(profile)], format="json")
    assert response.status_code == 503


def test_a_job_step_that_lost_a_race_is_run_again(bob, database, monkeypatch):
    """A file import's chunk deadlocked with a batch of events, and the job failed whole."""
    real, lost = runner._step, []

    def lose_once(job_id, kind, worker):
        if not lost:
            lost.append(job_id)
            raise LostRace("simulated")
        return real(job_id, kind, worker)

    monkeypatch.setattr(runner, "_step", lose_once)
    monkeypatch.setattr(runner, "RETRY_PAUSE_SECONDS", 0)
    job = runner.start("export", user=bob, database=database, params={"format": "csv"}, inline=True)
    assert lost and job.status == "succeeded", job.failure


def test_a_job_step_that_keeps_losing_fails_the_job_saying_why(bob, database, monkeypatch):
    def always_lose(job_id, kind, worker):
        raise LostRace("simulated")

    monkeypatch.setattr(runner, "_step", always_lose)
    monkeypatch.setattr(runner, "RETRY_PAUSE_SECONDS", 0)
    job = runner.start("export", user=bob, database=database, params={"format": "csv"}, inline=True)
    assert job.status == "failed" and "LostRace" in job.failure


def test_another_integrity_error_is_not_taken_for_a_lost_race(as_bob, profile, monkeypatch):
    duplicate = failing(psycopg.errors.UniqueViolation, IntegrityError)
    monkeypatch.setattr(event_operations, "_apply_batch_effects", duplicate)
    with pytest.raises(IntegrityError):
        as_bob.post("/api/v1/events/", [click(profile)], format="json")
