"""The real worker (``manage.py db_worker``) against the test database: it runs a job end to
end, two workers never take the same job, and a SIGKILLed worker's job resumes to the same
result as an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from jobs import runner
from jobs.models import Job
from operations.list_exports import file_path, start_export
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory

# A worker process shares the test's database: a server's, not SQLite's in-memory test one.
needs_a_database_server = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process needs the test database on a server (SQLite's is in memory); "
    "set DATABASE_URL to a PostgreSQL database",
)
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MANAGE = Path(django_settings.BASE_DIR) / "manage.py"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def restore_signals():
    """The worker command installs its own SIGINT/SIGTERM handlers: put pytest's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def work_in_process():
    """Run every queued task in this process, as ``manage.py db_worker --batch`` does."""
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval=0", verbosity=0
    )


def worker_env(media_root, **extra):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media_root),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "0",
        **{key: str(value) for key, value in extra.items()},
    }


def start_worker(media_root, worker_id, *, batch=True, **env):
    args = [sys.executable, str(MANAGE), "db_worker", "--no-startup-delay", "--no-reload"]
    args += ["--interval=0.05", f"--worker-id={worker_id}", "-v", "2"]
    if batch:
        args.append("--batch")
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        args,
        env=worker_env(media_root, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(worker, timeout=120):
    output, _ = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, output
    return output


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_an_export_end_to_end(database_tasks, restore_signals, settings):
    settings.EXPORT_CHUNK_ROWS = 4
    database = ProfileDatabaseFactory()
    ProfileFactory.create_batch(10, database=database)
    job = start_export(UserFactory(), database, fmt="csv")
    assert job.status == "queued"  # nothing runs in the request

    work_in_process()

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.errors) == ("succeeded", 10, 10, 0)
    assert job.worker and job.started_at and job.finished_at
    lines = file_path(job).read_text().splitlines()
    assert len(lines) == 11
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@needs_a_database_server
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_job_end_to_end(database_tasks, media_root):
    database = ProfileDatabaseFactory()
    ProfileFactory.create_batch(5, database=database)
    job = start_export(UserFactory(), database, fmt="xlsx")

    finish(start_worker(media_root, "solo"))

    job.refresh_from_db()
    assert (job.status, job.done, job.worker) == ("succeeded", 5, "solo")
    assert job.result == {"format": "xlsx", "rows": 5, "file": f"{job.pk}.xlsx"}
    assert file_path(job, "xlsx").stat().st_size > 0


@needs_a_database_server
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_take_the_same_job(database_tasks, media_root):
    database = ProfileDatabaseFactory()
    ProfileFactory.create_batch(3, database=database)
    user = UserFactory()
    jobs = [start_export(user, database) for _ in range(16)]

    workers = [start_worker(media_root, name, EXPORT_CHUNK_ROWS=1) for name in ("w1", "w2")]
    for worker in workers:
        finish(worker)

    tasks = list(DBTaskResult.objects.all())
    assert len(tasks) == 16
    assert all(task.status == "SUCCESSFUL" and len(task.worker_ids) == 1 for task in tasks)
    for job in Job.objects.filter(pk__in=[job.pk for job in jobs]):
        assert (job.status, job.done, job.interruptions) == ("succeeded", 3, 0)
        assert job.worker in {"w1", "w2"}
        assert len(file_path(job).read_text().splitlines()) == 4  # no row written twice


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_one_job_taken_by_two_runners_at_once_runs_once(settings):
    settings.EXPORT_CHUNK_ROWS = 2
    database = ProfileDatabaseFactory()
    ProfileFactory.create_batch(9, database=database)
    job = Job.objects.create(kind="export", created_by=UserFactory(), database=database)

    assert run_together(2, lambda n: runner.run(job.pk, worker=f"r{n}")) == []

    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("succeeded", 9, 9)
    assert len(file_path(job).read_text().splitlines()) == 10


@needs_a_database_server
@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_job_resumes_to_the_same_file(
    database_tasks, media_root, client, settings
):
    database = ProfileDatabaseFactory()
    ProfileFactory.create_batch(300, database=database)
    user = UserFactory(is_superuser=True, is_staff=True)
    interrupted = start_export(user, database)

    worker = start_worker(media_root, "doomed", batch=False, EXPORT_CHUNK_ROWS=1)
    deadline = time.monotonic() + 60
    while Job.objects.get(pk=interrupted.pk).done < 40:
        assert time.monotonic() < deadline, "the worker did not get going"
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    interrupted.refresh_from_db()
    assert interrupted.status == "running" and 40 <= interrupted.done < 300
    settings.JOB_STALE_SECONDS = 0.5
    time.sleep(0.6)
    client.force_login(user)
    assert "Interrupted" in client.get(f"/jobs/{interrupted.pk}/").content.decode()

    # The next worker takes it up from its last committed chunk, and finishes it.
    output = finish(start_worker(media_root, "next", EXPORT_CHUNK_ROWS=1, JOB_STALE_SECONDS=0.5))
    interrupted.refresh_from_db()
    assert (interrupted.status, interrupted.done, interrupted.worker) == ("succeeded", 300, "next")
    assert interrupted.interruptions == 1, output

    # An uninterrupted run of the same export gives the same file, byte for byte.
    settings.JOB_STALE_SECONDS = 60
    whole = start_export(user, database)
    finish(start_worker(media_root, "calm", EXPORT_CHUNK_ROWS=7))
    whole.refresh_from_db()
    assert whole.status == "succeeded"
    assert file_path(interrupted).read_bytes() == file_path(whole).read_bytes()
    assert len(file_path(whole).read_text().splitlines()) == 301
