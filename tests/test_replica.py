"""Read replicas against a real PostgreSQL streaming pair (bench/replica.sh; .ci/run starts it
and runs this file with DATABASE_URL at the primary and DATABASE_REPLICA_URLS at the
standby). Elsewhere these tests are skipped; tests/core/test_db_routing.py checks the same
rules on a second connection to the test database.

The proof: replay is paused on the standby, so a row written to the primary afterwards is
missing from every read the replica answers and present in every read the primary answers.
The standby is read-only: a write sent there would fail, so a write that succeeds went to
the primary.
"""

import csv
import time
from contextlib import contextmanager, suppress
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.db_routing import replica_aliases, replica_reads
from jobs import runner
from jobs.models import Job
from operations.list_exports import KIND as EXPORT
from profiles.models import Profile
from tests.factories import EventFactory, ProfileFactory


def _real_replicas():
    default = settings.DATABASES["default"]
    return [
        alias
        for alias in replica_aliases()
        if (settings.DATABASES[alias]["HOST"], settings.DATABASES[alias]["PORT"])
        != (default["HOST"], default["PORT"])
    ]


pytestmark = [
    pytest.mark.skipif(
        not _real_replicas(),
        reason="no streaming replica: run `bench/replica.sh start` and set the variables it "
        "prints (.ci/run does)",
    ),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


@pytest.fixture
def replica(settings):
    settings.REPLICA_STICKY_SECONDS = 5
    (alias,) = _real_replicas()  # one replica: every replica-allowed read goes there
    return connections[alias]


def value(connection, sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replay(replica):
    """Wait until the standby has replayed everything the primary committed so far.

    The target is the primary's flush position, which every commit has reached (commits are
    synchronous) and which ends where a record ends. Its insert position would not do: at
    the start of a WAL page it points past the page header, a place the standby's replay
    never reaches until another record is written, so an idle primary left the wait
    hanging (a CI run failed so).
    """
    lsn = value(connections["default"], "SELECT pg_current_wal_flush_lsn()::text")
    for _ in range(1500):
        if value(replica, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
            return
        time.sleep(0.02)
    raise AssertionError(f"the replica did not replay up to {lsn} in 30 s")


@contextmanager
def replay_paused(replica):
    """The standby stops applying the primary's changes (it keeps receiving them)."""
    wait_for_replay(replica)
    value(replica, "SELECT pg_wal_replay_pause()")
    try:
        for _ in range(500):
            if value(replica, "SELECT pg_get_wal_replay_pause_state()") == "paused":
                break
            time.sleep(0.02)
        yield
    finally:
        value(replica, "SELECT pg_wal_replay_resume()")


def listed(client, database):
    return client.get(reverse("profiles:list"), {"database": database.pk}).text


def test_the_replica_is_a_read_only_standby(replica):
    assert value(replica, "SELECT pg_is_in_recovery()") is True
    assert value(connections["default"], "SELECT pg_is_in_recovery()") is False


def test_reads_go_to_the_replica_writes_to_the_primary_and_a_writer_reads_its_writes(
    replica, client, bob, database
):
    ProfileFactory(database=database, email="old@example.com")
    client.force_login(bob)
    with replay_paused(replica):
        late = ProfileFactory(database=database, email="late@example.com")
        EventFactory(profile=late)

        # The list, the API and history read the replica, which has not seen `late`.
        with CaptureQueriesContext(replica) as on_replica:
            page = listed(client, database)
            api = client.get("/api/v1/profiles/", {"database": database.pk}).json()
        assert "old@example.com" in page
        assert "late@example.com" not in page
        assert [row["email"] for row in api["results"]] == ["old@example.com"]
        assert on_replica.captured_queries
        history = client.get(reverse("api:profile-history", args=[late.profile_id]))
        assert history.status_code == 404  # not on the replica yet

        # The profile's own page reads the primary.
        detail = client.get(reverse("profiles:detail", args=[late.profile_id]))
        assert detail.status_code == 200

        # A write succeeds (on the read-only standby it would fail) ...
        with CaptureQueriesContext(replica) as write:
            response = client.post(
                "/api/v1/profiles/",
                {"database": database.pk, "email": "written@example.com"},
                content_type="application/json",
            )
        assert response.status_code == 201, response.content
        assert write.captured_queries == []
        # ... and its writer now reads the primary: its write and all the rest.
        page = listed(client, database)
        assert "written@example.com" in page
        assert "late@example.com" in page
        assert client.get(reverse("api:profile-history", args=[late.profile_id])).status_code == 200

        # A few seconds later the writer reads the replica again (still paused).
        with time_machine.travel(timedelta(seconds=6)):
            page = listed(client, database)
        assert "written@example.com" not in page

    wait_for_replay(replica)
    page = listed(client, database)
    assert "late@example.com" in page
    assert "written@example.com" in page


def test_a_replica_lost_during_a_read_is_left_out_and_the_primary_answers(
    replica, client, bob, database, monkeypatch
):
    from core import db_routing

    monkeypatch.setattr(db_routing, "_unreachable", {})  # what this test leaves out, forgotten
    client.force_login(bob)
    terminated = []

    def terminate_once(execute, sql, params, many, context):
        # The standby's server process for this connection ends under the list's query.
        if not terminated and "profiles_profile" in sql:
            terminated.append(sql)
            with suppress(Exception):
                context["cursor"].cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return execute(sql, params, many, context)

    with replay_paused(replica):
        ProfileFactory(database=database, email="only-on-the-primary@example.com")
        with replica.execute_wrapper(terminate_once):
            response = client.get(reverse("profiles:list"), {"database": database.pk})
    assert terminated
    assert response.status_code == 200
    assert "only-on-the-primary@example.com" in response.text
    assert replica.alias in db_routing._unreachable


def test_an_object_read_from_the_replica_is_written_to_the_primary(replica, database):
    ProfileFactory(database=database, first_name="Before")
    wait_for_replay(replica)
    with replica_reads():
        profile = Profile.objects.get()
    assert profile._state.db == replica.alias
    profile.first_name = "After"
    profile.save()  # the standby would refuse it
    assert Profile.objects.get().first_name == "After"


def exported_emails(job):
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.failure
    with job.result_file().open(newline="") as rows:
        return {row["email"] for row in csv.DictReader(rows)}


def test_an_export_reads_the_replica_once_it_holds_the_job(replica, bob, database):
    ProfileFactory(database=database, email="old@example.com")
    job = Job.objects.create(kind=EXPORT, created_by=bob, database=database, params={})
    with replay_paused(replica):  # after the job reached the replica
        ProfileFactory(database=database, email="late@example.com")
        runner.run(str(job.pk), worker="test")
        assert exported_emails(job) == {"old@example.com"}  # read on the replica

        # A job the replica does not hold yet reads the primary: it sees all that was
        # written before it was asked for.
        newer = Job.objects.create(kind=EXPORT, created_by=bob, database=database, params={})
        runner.run(str(newer.pk), worker="test")
        assert exported_emails(newer) == {"old@example.com", "late@example.com"}
