"""Imports at once on PostgreSQL: one profile per matched value, never a false error, the
documented maximum four at a time, and a clear 429 past the slots for large batches.
Imports of different emails into one database do not wait for each other."""

import random
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from core.locks import MAX_KEY_LOCKS, take_slot
from operations import imports
from operations.imports import MAX_IMPORT_ROWS, Batch, Matcher, import_rows
from operations.profiles import delete_profile
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
URL = "/api/v1/profiles/import/"


@pytest.fixture
def marketer():
    database = ProfileDatabaseFactory(name="Customers")
    CustomFieldFactory(database=database, name="crm_id", type="line")
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(user)
    return user, database


def post(user, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(URL, body, format="json")


def row(match, n, thread):
    keyed = {
        "email": {"email": f"person{n}@example.com"},
        "phone": {"phones": [f"+1415555{n:04d}"]},
        "field:crm_id": {"fields": {"crm_id": f"C-{n}"}},
    }[match]
    return {**keyed, "first_name": f"From thread {thread}"}


@pytest.mark.parametrize("match", ["email", "phone", "field:crm_id"])
@pytest.mark.parametrize(
    "count", [50, MAX_KEY_LOCKS + 36], ids=["values locked one by one", "their kind locked whole"]
)
def test_parallel_imports_of_the_same_values_create_one_profile_each(marketer, match, count):
    user, database = marketer
    statuses = []

    def work(thread):
        rows = [row(match, n, thread) for n in range(count)]
        response = post(user, {"database": database.pk, "match": match, "profiles": rows})
        assert response.status_code == 200, response.content[:300]
        statuses.extend(result["status"] for result in response.json()["results"])

    assert run_together(16, work) == []
    assert Profile.objects.filter(database=database).count() == count
    assert sorted(set(statuses)) == ["created", "updated"]
    assert statuses.count("created") == count and statuses.count("updated") == 15 * count


def test_four_parallel_imports_of_the_documented_maximum_all_succeed(marketer):
    user, database = marketer
    answers = []

    def work(thread):
        rows = [{"email": f"t{thread}-{n}@example.com"} for n in range(MAX_IMPORT_ROWS)]
        response = post(user, {"database": database.pk, "match": "email", "profiles": rows})
        answers.append((response.status_code, {r["status"] for r in response.json()["results"]}))

    assert run_together(4, work) == []
    assert answers == [(200, {"created"})] * 4
    assert Profile.objects.filter(database=database).count() == 4 * MAX_IMPORT_ROWS


def test_a_large_batch_past_the_slots_is_a_429_to_retry(marketer, settings):
    settings.BATCH_CONCURRENCY = 2
    user, database = marketer
    held, done = threading.Barrier(3), threading.Event()

    def hold(_):
        with transaction.atomic():
            assert take_slot("api-batch", 2)
            held.wait()
            done.wait(timeout=30)
        connection.close()

    holders = [threading.Thread(target=hold, args=(n,)) for n in range(2)]
    for holder in holders:
        holder.start()
    held.wait()
    try:
        rows = [{"email": f"p{n}@example.com"} for n in range(101)]
        response = post(user, {"database": database.pk, "match": "email", "profiles": rows})
        small = post(user, {"database": database.pk, "match": "email", "profiles": rows[:100]})
    finally:
        done.set()
        for holder in holders:
            holder.join()
    assert response.status_code == 429
    assert "2 large batches are running" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert small.status_code == 200  # a small batch needs no slot
    assert Profile.objects.filter(email="p100@example.com").count() == 0


def _post_in_thread(user, body, answers):
    try:
        answers.append(post(user, body))
    finally:
        connection.close()


def _hold_import(database, emails, started, release):
    """Import ``emails`` in a transaction held open until ``release`` is set."""
    try:
        with transaction.atomic():
            matcher = Matcher.parse(database, "email")
            import_rows(database, [{"email": email} for email in emails], matcher=matcher)
            started.set()
            release.wait(timeout=30)
    finally:
        connection.close()


def _waiting_for_a_lock():
    """Whether a session of this test database waits for a lock (the server may run other
    databases' tests at once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_imports_of_different_emails_into_one_database_do_not_wait_for_each_other(marketer):
    user, database = marketer
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold_import,
        args=(
            database,
            [f"held{n}@example.com" for n in range(MAX_KEY_LOCKS + 36)],
            started,
            release,
        ),
    )
    holder.start()
    try:
        assert started.wait(timeout=30)
        answers = []
        rows = [{"email": f"other{n}@example.com"} for n in range(MAX_KEY_LOCKS + 36)]
        other = threading.Thread(
            target=_post_in_thread,
            args=(user, {"database": database.pk, "match": "email", "profiles": rows}, answers),
        )
        other.start()
        other.join(timeout=10)
        finished_while_held = not other.is_alive()
    finally:
        release.set()
        holder.join()
        other.join()
    assert finished_while_held, "the second import waited for the first one's commit"
    assert answers[0].status_code == 200
    assert {r["status"] for r in answers[0].json()["results"]} == {"created"}
    assert Profile.objects.filter(database=database).count() == 2 * (MAX_KEY_LOCKS + 36)


def test_an_email_another_import_creates_meanwhile_is_updated_not_refused(marketer):
    user, database = marketer
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold_import, args=(database, ["p5@example.com"], started, release)
    )
    holder.start()
    answers = []
    try:
        assert started.wait(timeout=30)
        rows = [{"email": f"p{n}@example.com", "first_name": "Second"} for n in range(10)]
        other = threading.Thread(
            target=_post_in_thread,
            args=(user, {"database": database.pk, "match": "email", "profiles": rows}, answers),
        )
        other.start()
        for _ in range(100):  # until its insert waits on the held email
            if _waiting_for_a_lock():
                break
            time.sleep(0.05)
        assert other.is_alive()
    finally:
        release.set()
        holder.join()
        other.join(timeout=30)
    results = answers[0].json()["results"]
    assert [r["status"] for r in results] == ["created"] * 5 + ["updated"] + ["created"] * 4
    assert Profile.objects.filter(database=database).count() == 10
    assert Profile.objects.get(email="p5@example.com").first_name == "Second"


def test_imports_of_overlapping_emails_in_different_orders_all_succeed(marketer, monkeypatch):
    """Each import's new emails go in after others wrote some of them: it matches again
    (as often as it takes), and no row is refused or lost, nor any import cancelled."""
    _, database = marketer
    update = Batch._update

    def slowly(self, updates):  # as into a big table: the new emails stay uncommitted longer
        time.sleep(0.05)
        return update(self, updates)

    monkeypatch.setattr(Batch, "_update", slowly)
    threads, shared = 14, [f"shared{n}@example.com" for n in range(600)]
    results, batches = [], []

    def work(thread):
        choose = random.Random(thread)
        emails = choose.sample(shared, choose.randint(200, 500))
        rows = [{"email": email} for email in emails]
        rows += [{"email": f"own{thread}-{n}@example.com"} for n in range(30)]
        rows += rows[:20] if thread % 3 == 0 else []  # the same rows again: a second wave
        batches.append(emails)
        with transaction.atomic():
            results.extend(import_rows(database, rows, matcher=Matcher.parse(database, "email")))

    assert run_together(threads, work) == []
    written = {email for emails in batches for email in emails}
    assert Profile.objects.filter(database=database).count() == len(written) + threads * 30
    assert {(result.status, str(result.errors)) for result in results} == {
        ("created", "{}"),
        ("updated", "{}"),
    }
    assert sum(result.status == "created" for result in results) == len(written) + threads * 30


def _import_in_thread(database, rows, results):
    def work():
        try:
            matcher = Matcher.parse(database, "email")
            results.extend(import_rows(database, rows, matcher=matcher))
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def _until_waiting(thread):
    for _ in range(200):
        if _waiting_for_a_lock():
            return
        time.sleep(0.05)
    raise AssertionError("the import never waited")


def test_an_import_matching_a_profile_deleted_meanwhile_creates_it_again(marketer):
    _, database = marketer
    profile = Profile.objects.create(database=database, email="ann@example.com")
    deleted, release = threading.Event(), threading.Event()

    def delete():
        try:
            with transaction.atomic():
                delete_profile(Profile.objects.get(pk=profile.pk))
                deleted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    deleter = threading.Thread(target=delete)
    deleter.start()
    assert deleted.wait(timeout=30)
    results = []
    importer = _import_in_thread(database, [{"email": "ann@example.com"}], results)
    _until_waiting(importer)  # its lock on the matched profile waits for the delete
    release.set()
    deleter.join()
    importer.join(timeout=30)

    assert [(r.status, r.errors) for r in results] == [("created", {})]
    assert Profile.objects.get(email="ann@example.com").pk != profile.pk


def test_an_attempt_that_failed_holds_no_lock_when_the_wave_runs_again(marketer, monkeypatch):
    """A wave matched and locked a profile, then failed on a new email another import
    committed meanwhile: its profile is unlocked before the wave locks again in key order
    (holding it while locking others deadlocked two imports retrying at once)."""
    _, database = marketer
    kept = Profile.objects.create(database=database, email="kept@example.com")
    held_by_other, release = threading.Event(), threading.Event()
    locked_between = []
    forget = Batch._forget

    def spy(self, rows):
        forget(self, rows)
        free = []

        def probe():
            try:
                with transaction.atomic():
                    free.extend(
                        Profile.objects.filter(pk=kept.pk)
                        .select_for_update(skip_locked=True, no_key=True)
                        .values_list("pk", flat=True)
                    )
            finally:
                connection.close()

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()
        locked_between.append(not free)

    monkeypatch.setattr(Batch, "_forget", spy)
    holder = threading.Thread(
        target=_hold_import, args=(database, ["new@example.com"], held_by_other, release)
    )
    holder.start()
    assert held_by_other.wait(timeout=30)
    results = []
    rows = [{"email": "kept@example.com"}, {"email": "new@example.com"}]
    importer = _import_in_thread(database, rows, results)
    _until_waiting(importer)  # it locked "kept", then its insert waits on the other's email
    release.set()
    holder.join()
    importer.join(timeout=30)

    assert locked_between == [False]
    assert [r.status for r in results] == ["updated", "updated"]


def test_a_wave_that_lost_every_attempt_runs_again_row_by_row_each_row_matched(
    marketer, monkeypatch
):
    """Past its attempts (here 2), a wave whose new emails other imports kept writing runs
    again one row at a time: each row is matched again, so it updates the profile another
    import created instead of being refused for its email."""
    monkeypatch.setattr(imports, "WAVE_ATTEMPTS", 2)
    _, database = marketer
    holders = {}
    for email in ["b@example.com", "c@example.com"]:
        started, release = threading.Event(), threading.Event()
        thread = threading.Thread(target=_hold_import, args=(database, [email], started, release))
        thread.start()
        assert started.wait(timeout=30)
        holders[email] = (thread, release)
    results = []
    emails = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    importer = _import_in_thread(database, [{"email": email} for email in emails], results)
    for email in ["b@example.com", "c@example.com"]:  # it waits on each in turn
        _until_waiting(importer)
        thread, release = holders[email]
        release.set()
        thread.join()
    importer.join(timeout=30)

    assert [(r.status, r.errors) for r in results] == [
        ("created", {}),
        ("updated", {}),
        ("updated", {}),
        ("created", {}),
    ]
    assert Profile.objects.filter(database=database).count() == 4


def _deadlock_partner(database):
    """Start a transaction that writes the new email "new@example.com", then, once ``go``
    is set, locks the profile of "kept@example.com" (made here): an import holding that
    profile and waiting for the new email makes a deadlock with it. Return the thread,
    ``go`` and a list that receives True once it has committed."""
    kept = Profile.objects.create(database=database, email="kept@example.com")
    written, go, other_done = threading.Event(), threading.Event(), []

    def other():
        try:
            with transaction.atomic():
                import_rows(
                    database,
                    [{"email": "new@example.com"}],
                    matcher=Matcher.parse(database, "email"),
                )
                written.set()
                go.wait(timeout=30)
                Profile.objects.select_for_update(no_key=True).get(pk=kept.pk)
            other_done.append(True)
        finally:
            connection.close()

    holder = threading.Thread(target=other)
    holder.start()
    assert written.wait(timeout=30)
    return holder, go, other_done


def test_an_import_cancelled_by_a_deadlock_lets_go_and_runs_again(marketer):
    """The import holds a matched profile and waits for a new email another transaction
    wrote; that one then waits for the profile. PostgreSQL cancels the import, which lets
    go of all it took (the other goes on) and runs again: no error for the client."""
    _, database = marketer
    holder, go, other_done = _deadlock_partner(database)
    results = []
    rows = [{"email": "kept@example.com"}, {"email": "new@example.com"}]
    importer = _import_in_thread(database, rows, results)
    _until_waiting(importer)  # it holds "kept" and waits on the other's new email
    go.set()
    holder.join(timeout=30)
    importer.join(timeout=30)

    assert other_done == [True]
    assert [(r.status, r.errors) for r in results] == [("updated", {}), ("updated", {})]
    assert Profile.objects.filter(database=database).count() == 2


def test_an_api_write_cancelled_by_a_deadlock_is_run_again_whole(marketer, monkeypatch, caplog):
    """Past its batch's own attempts (here none), the import's request is rolled back whole
    and run again: the other transaction, which waits for this one's end, goes on, and the
    client gets its answer instead of a 503."""
    monkeypatch.setattr(imports, "BATCH_ATTEMPTS", 1)
    user, database = marketer
    holder, go, other_done = _deadlock_partner(database)
    answers = []
    rows = [{"email": "kept@example.com"}, {"email": "new@example.com"}]
    body = {"database": database.pk, "match": "email", "profiles": rows}
    importer = threading.Thread(target=_post_in_thread, args=(user, body, answers))
    importer.start()
    _until_waiting(importer)  # it holds "kept" and waits on the other's new email
    go.set()
    holder.join(timeout=30)
    importer.join(timeout=30)

    assert other_done == [True]
    assert answers[0].status_code == 200, answers[0].content[:300]
    assert [r["status"] for r in answers[0].json()["results"]] == ["updated", "updated"]
    assert "/api/v1/profiles/import/ cancelled in a deadlock, rolled back, run again" in caplog.text
