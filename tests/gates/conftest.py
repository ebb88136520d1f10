import pytest
from django.db import transaction

from jobs.models import Job
from tests.gates.world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def job_files(request, media_root):
    """The files the world's finished jobs made, in this test's media folder."""
    if "world" not in request.fixturenames:
        return
    world = request.getfixturevalue("world")
    folder = media_root / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    for objects in (world.own, world.outsider):
        (folder / objects[Job].result["file"]).write_text("profile_id\nabc\n")
