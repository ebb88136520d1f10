"""Key locks on PostgreSQL: bounded in number per transaction, and still exclusive."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from core.locks import MAX_KEY_LOCKS, lock_keys
from tests.concurrency import needs_postgres, run_together

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
EMAILS = "import:1:email"


def advisory_locks_held():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def keys(scope, count, start=0):
    return [(scope, f"person{n}@example.com") for n in range(start, start + count)]


def test_three_imports_of_5000_keys_hold_their_locks_at_once():
    # Three times 5,000 advisory locks filled PostgreSQL's shared lock table (6,400 entries by
    # default): "out of shared memory", for them and for every other transaction.
    holding = threading.Barrier(3, timeout=30)
    counts = []

    def work(n):
        with transaction.atomic():
            lock_keys(keys(f"import:{n}:email", 5000) + keys(f"import:{n}:phone", 10))
            counts.append(advisory_locks_held())
            holding.wait()  # all three hold theirs at the same time

    assert run_together(3, work) == []
    # Each locked its emails whole, and its 10 phones one by one with their kind shared.
    assert counts == [12, 12, 12]


def test_a_few_keys_are_locked_one_by_one():
    with transaction.atomic():
        lock_keys(keys(EMAILS, MAX_KEY_LOCKS))
        assert advisory_locks_held() == MAX_KEY_LOCKS + 1  # and the kind, shared


def other_transaction_waits_for(locked):
    """Whether a transaction locking ``locked`` waits while this one holds its locks."""
    outcome = []

    def other():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                lock_keys(locked)
            outcome.append("took them")
        except OperationalError as error:
            outcome.append("waited" if "lock timeout" in str(error) else str(error))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=30)
    return outcome == ["waited"]


@pytest.mark.parametrize(
    ("held", "asked", "waits"),
    [
        (keys(EMAILS, 3), keys(EMAILS, 1, start=2), True),  # the same key
        (keys(EMAILS, 3), keys(EMAILS, 3, start=3), False),  # other keys of the kind
        (keys(EMAILS, 500), keys(EMAILS, 1, start=9999), True),  # the kind, held whole
        (keys(EMAILS, 3), keys(EMAILS, 500, start=9999), True),  # the whole kind, asked
        (keys(EMAILS, 500), keys("import:2:email", 500), False),  # another database
    ],
    ids=["same key", "other keys", "held whole", "asked whole", "another scope"],
)
def test_locks_exclude_the_transactions_that_write_the_same_values(held, asked, waits):
    with transaction.atomic():
        lock_keys(held)
        assert other_transaction_waits_for(asked) is waits
