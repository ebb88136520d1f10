"""The real worker runs a scenario's steps: the first at once, the next when its wait is
over (the worker looks for due steps every second)."""

import signal
import time
from datetime import datetime, timedelta

import pytest

from interactions.models import Scenario
from operations.scenarios import engage
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from tests.jobs.test_worker import database_tasks, needs_a_database_server, start_worker

__all__ = ["database_tasks"]  # a fixture


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not run the step in time"
        time.sleep(0.05)


@needs_a_database_server
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_due_steps_after_their_wait(database_tasks, media_root):
    database = ProfileDatabaseFactory()
    CustomFieldFactory(database=database, name="stage", type="line")
    profile = ProfileFactory(database=database)
    scenario = Scenario.objects.create(
        name="Drip",
        database=database,
        steps=[
            {"type": "set_field", "field": "stage", "value": "one"},
            {"type": "wait", "seconds": 2},
            {"type": "set_field", "field": "stage", "value": "two"},
        ],
    )
    participation = engage(scenario, profile, source="api")
    assert participation.current_step == 0  # queued for the worker, not run here

    worker = start_worker(media_root, "steps", batch=False)
    try:
        wait_for(lambda: _stage(profile) == "one")
        wait_for(lambda: _stage(profile) == "two")
        participation.refresh_from_db()
        assert participation.status == "finished"
        waited, ran = (datetime.fromisoformat(r["at"]) for r in participation.results[1:])
        assert ran - waited >= timedelta(seconds=2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def _stage(profile):
    profile.refresh_from_db()
    return profile.custom_values.get("stage")
