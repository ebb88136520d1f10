"""The read-replica router and middleware (core/db_routing.py), on a replica alias that is a
second connection to the test database: a query shows on the connection it went to.

tests/test_replica.py runs the same rules against a real PostgreSQL streaming pair.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.db_routing import STICKY_COOKIE, ReplicaRouter, replica_reads
from jobs import runner
from jobs.models import Job
from operations.list_exports import KIND as EXPORT
from profiles.models import Profile
from tests.factories import EventFactory, ProfileFactory

REPLICA = "replica_1"


@pytest.fixture
def replica(transactional_db, settings):
    """``replica_1``, a mirror of the test database, with the router and middleware on (as
    config/settings.py installs them when DATABASE_REPLICA_URLS is set). The tests commit
    (transactional_db) so the second connection sees their rows."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {
        **default,
        "ATOMIC_REQUESTS": False,
        "TEST": {**default["TEST"], "MIRROR": "default"},
    }
    settings.DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "core.db_routing.ReplicaMiddleware"]
    settings.REPLICA_STICKY_SECONDS = 5
    # Connect now: the test case, set up before this alias existed, refuses to open it later.
    connections[REPLICA].connect()
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def replica_queries(context):
    return [query["sql"] for query in context.captured_queries]


def reads_profiles(sqls):
    return any('FROM "profiles_profile"' in sql for sql in sqls)


def test_the_list_page_reads_profiles_from_the_replica(replica, client, bob, database):
    ProfileFactory(database=database, email="on-the-list@example.com")
    client.force_login(bob)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("profiles:list"))
    assert response.status_code == 200
    assert "on-the-list@example.com" in response.text
    sqls = replica_queries(on_replica)
    assert reads_profiles(sqls)
    # Logins, sessions and permissions are read on the primary.
    assert not any("django_session" in sql or "auth_permission" in sql for sql in sqls)


def test_history_reads_the_replica_and_the_profile_page_the_primary(replica, client, bob, database):
    profile = ProfileFactory(database=database)
    EventFactory(profile=profile)
    client.force_login(bob)
    with CaptureQueriesContext(replica) as history:
        assert client.get(reverse("history:profile", args=[profile.profile_id])).status_code == 200
    with CaptureQueriesContext(replica) as detail:
        assert client.get(reverse("profiles:detail", args=[profile.profile_id])).status_code == 200
    assert any("history_event" in sql for sql in replica_queries(history))
    assert replica_queries(detail) == []


def test_a_streamed_history_export_reads_the_replica_as_it_is_sent(replica, client, bob, database):
    profile = ProfileFactory(database=database)
    EventFactory(profile=profile)
    client.force_login(bob)
    response = client.get(reverse("history:export", args=[profile.profile_id, "csv"]))
    assert response.status_code == 200
    with CaptureQueriesContext(replica) as streamed:
        rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 2  # the header and the event
    assert any("history_event" in sql for sql in replica_queries(streamed))


def test_a_write_keeps_an_api_client_on_the_primary_for_a_few_seconds(replica, as_bob, database):
    """Read your writes, for a client without cookies: the user's last write is in the
    cache."""
    with CaptureQueriesContext(replica) as before:
        assert as_bob.get("/api/v1/profiles/", {"database": database.pk}).status_code == 200
    assert reads_profiles(replica_queries(before))

    with CaptureQueriesContext(replica) as write:
        response = as_bob.post(
            "/api/v1/profiles/",
            {"database": database.pk, "email": "new@example.com"},
            format="json",
        )
    assert response.status_code == 201
    assert replica_queries(write) == []  # a POST never reads nor writes the replica
    as_bob.cookies.clear()

    with CaptureQueriesContext(replica) as after:
        response = as_bob.get("/api/v1/profiles/", {"database": database.pk})
    assert "new@example.com" in response.text
    assert replica_queries(after) == []

    with time_machine.travel(timedelta(seconds=6)), CaptureQueriesContext(replica) as later:
        as_bob.get("/api/v1/profiles/", {"database": database.pk})
    assert reads_profiles(replica_queries(later))


def test_a_browser_that_wrote_carries_a_signed_cookie_for_a_few_seconds(
    replica, client, bob, database
):
    client.force_login(bob)
    response = client.post(
        "/api/v1/profiles/",
        {"database": database.pk, "email": "new@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.cookies[STICKY_COOKIE]["max-age"] == 5
    cache.clear()  # only the cookie says so now
    with CaptureQueriesContext(replica) as after:
        assert "new@example.com" in client.get(reverse("profiles:list")).text
    assert replica_queries(after) == []

    client.cookies[STICKY_COOKIE] = "1"  # unsigned: ignored
    with CaptureQueriesContext(replica) as forged:
        client.get(reverse("profiles:list"))
    assert reads_profiles(replica_queries(forged))


def test_reads_after_a_write_in_the_same_block_go_to_the_primary(replica, database):
    with replica_reads():
        assert Profile.objects.all().db == REPLICA
        ProfileFactory(database=database)
        assert Profile.objects.all().db == "default"


def test_locking_reads_and_code_in_its_own_transaction_read_the_primary(replica, database):
    with replica_reads():
        assert get_user_model().objects.all().db == "default"  # accounts: always the primary
        with transaction.atomic():
            assert Profile.objects.all().db == "default"
        assert Profile.objects.all().db == REPLICA
        # A locking read is a write's first step: it and what follows read the primary.
        assert Profile.objects.select_for_update().db == "default"
        assert Profile.objects.all().db == "default"


def test_an_object_read_from_the_replica_is_saved_on_the_primary(replica, database):
    ProfileFactory(database=database, first_name="Before")
    with replica_reads():
        profile = Profile.objects.get()
    assert profile._state.db == REPLICA
    profile.first_name = "After"
    with CaptureQueriesContext(replica) as on_replica:
        profile.save()
        other = Profile(database=profile.database, email="x@example.com")  # a relation across
        other.save()
    assert replica_queries(on_replica) == []
    assert Profile.objects.get(pk=profile.pk).first_name == "After"
    assert other.database_id == database.pk
    assert profile.events.all().db == "default"


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "profiles") is False
    assert router.allow_migrate("default", "profiles") is None


def test_an_export_job_reads_the_replica_once_it_holds_the_job(replica, bob, database):
    ProfileFactory.create_batch(3, database=database)
    job = Job.objects.create(kind=EXPORT, created_by=bob, database=database, params={})
    with CaptureQueriesContext(replica) as on_replica:
        runner.run(str(job.pk), worker="test")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == 3
    assert reads_profiles(replica_queries(on_replica))


def test_an_export_asked_for_in_an_open_transaction_reads_the_primary(replica, bob, database):
    """The job is not committed yet, so no replica holds it (nor what came before it)."""
    if replica.vendor == "sqlite":
        pytest.skip("SQLite's shared in-memory test database locks a table being written")
    ProfileFactory.create_batch(2, database=database)
    with transaction.atomic(), CaptureQueriesContext(replica) as on_replica:
        job = runner.start(EXPORT, user=bob, database=database, params={}, inline=True)
    assert job.done == 2
    assert not reads_profiles(replica_queries(on_replica))


def test_without_replicas_nothing_is_routed(db):
    router = ReplicaRouter()
    assert router.db_for_read(Profile) is None
    assert router.db_for_write(Profile) is None
    with replica_reads():
        assert Profile.objects.all().db == "default"


@pytest.fixture
def unreachable(replica, transactional_db):
    """``replica_2``, which cannot be connected to (a closed port, a missing folder)."""
    from core import db_routing

    default = connections["default"].settings_dict
    if connections["default"].vendor == "postgresql":
        broken = {**default, "HOST": "127.0.0.1", "PORT": "1"}
    else:
        broken = {**default, "NAME": "/nonexistent-folder/replica.sqlite3"}
    connections.settings["replica_2"] = {**broken, "ATOMIC_REQUESTS": False}
    db_routing._unreachable.clear()
    yield "replica_2"
    db_routing._unreachable.clear()
    connections["replica_2"].close()
    del connections["replica_2"]
    del connections.settings["replica_2"]


def test_an_unreachable_replica_is_left_out_and_its_reads_go_elsewhere(
    unreachable, replica, client, bob, database, caplog, monkeypatch
):
    from core import db_routing

    # Every request draws the unreachable replica first.
    monkeypatch.setattr(db_routing.random, "sample", lambda seq, k: sorted(seq, reverse=True))
    ProfileFactory(database=database, email="still-listed@example.com")
    client.force_login(bob)
    with CaptureQueriesContext(replica) as on_replica:
        for _ in range(3):
            response = client.get(reverse("profiles:list"))
            assert response.status_code == 200
            assert "still-listed@example.com" in response.text
    assert reads_profiles(replica_queries(on_replica))
    # Tried once, then left out for REPLICA_RETRY_SECONDS: one warning, naming it.
    warnings = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1 and unreachable in warnings[0]
    assert unreachable in db_routing._unreachable


def test_with_no_replica_reachable_the_primary_answers(unreachable, replica, client, bob, database):
    from core import db_routing

    # replica_1 was found unreachable a moment ago: left out, not tried again yet.
    db_routing._unreachable[REPLICA] = time.monotonic() + 30
    ProfileFactory(database=database, email="from-the-primary@example.com")
    client.force_login(bob)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("profiles:list"))
    assert response.status_code == 200
    assert "from-the-primary@example.com" in response.text
    assert replica_queries(on_replica) == []
    assert set(db_routing._unreachable) == {REPLICA, unreachable}


@pytest.fixture
def forgetful(monkeypatch):
    """The replicas left out by this process, emptied for the test."""
    from core import db_routing

    monkeypatch.setattr(db_routing, "_unreachable", {})
    return db_routing._unreachable


def connection_lost(connection, table=""):
    """An execute wrapper: a query (of ``table``) fails as when the server goes away."""

    def wrapper(execute, sql, params, many, context):
        if table not in sql:
            return execute(sql, params, many, context)
        with connection.wrap_database_errors:
            raise connection.Database.OperationalError("server closed the connection unexpectedly")

    return wrapper


@pytest.mark.parametrize("url", ["/profiles/", "/api/v1/profiles/"])
def test_a_replica_that_fails_during_a_read_is_left_out_and_the_primary_answers(
    replica, forgetful, client, bob, database, caplog, url
):
    ProfileFactory(database=database, email="answered-anyway@example.com")
    client.force_login(bob)
    with replica.execute_wrapper(connection_lost(replica)):
        response = client.get(url)
    assert response.status_code == 200
    assert "answered-anyway@example.com" in response.text
    assert REPLICA in forgetful
    warnings = [r.getMessage() for r in caplog.records if "failed during a read" in r.getMessage()]
    assert len(warnings) == 1 and REPLICA in warnings[0]
    # The next read is answered by the primary without trying the replica again. (The
    # broken connection was closed; this test case may not open it itself: as the fixture.)
    if replica.connection is None:
        replica.connect()
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(url).status_code == 200
    assert replica_queries(on_replica) == []


def test_an_error_of_the_primary_is_not_blamed_on_the_replica(
    replica, forgetful, client, bob, database
):
    client.force_login(bob)
    primary = connections["default"]
    # Bob's permissions are read on the primary while the list reads the replica.
    lost = connection_lost(primary, table="auth_permission")
    with primary.execute_wrapper(lost), pytest.raises(OperationalError):
        client.get("/profiles/")
    assert forgetful == {}
