"""Locks a transaction holds on keys rather than rows: for a value that must identify one row
before that row exists and no unique constraint guards it (a new profile's phone in an
import matched by it; a form's submissions of one email).

PostgreSQL takes advisory transaction locks, released at commit; two transactions locking
overlapping keys take them in the same (sorted) order, so they wait for each other and
never deadlock. A transaction with many keys locks their kind whole (``lock_keys``). On
SQLite there is nothing to take: a writing transaction holds the whole database there.
"""

import hashlib

from django.db import connection


def key_id(key):
    """Return the 64-bit lock id of a key (any text)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# At most this many keys are locked one by one in a transaction. PostgreSQL keeps every
# lock in one shared table of max_locks_per_transaction times max_connections entries (6,400 by
# default): three imports locking 5,000 emails each filled it, and every other transaction
# that needed a lock then failed with "out of shared memory".
MAX_KEY_LOCKS = 64


def lock_keys(keys):
    """Hold a lock on each key until the current transaction ends (waiting for holders).

    ``keys`` are (scope, value) pairs, a scope being the kind of value of one database
    ("import:7:phone"). A transaction with few keys locks each one, and holds its scopes
    shared; one with more than ``MAX_KEY_LOCKS`` locks the busiest scopes whole (exclusive:
    it waits for, and holds off, every other transaction writing values of that kind).
    Scopes are taken before keys, each in sorted order, so no two transactions deadlock.
    """
    if connection.vendor != "postgresql":
        return
    by_scope = {}
    for scope, value in keys:
        by_scope.setdefault(scope, set()).add(str(value))
    if not by_scope:
        return
    whole, count = set(), sum(len(values) for values in by_scope.values())
    for scope in sorted(by_scope, key=lambda scope: -len(by_scope[scope])):
        if count <= MAX_KEY_LOCKS:
            break
        whole.add(scope)
        count -= len(by_scope[scope])
    scopes = sorted((key_id(scope), scope in whole) for scope in by_scope)
    each = sorted(
        {
            key_id(f"{scope}:{value}")
            for scope in by_scope.keys() - whole
            for value in by_scope[scope]
        }
    )
    ids = [id_ for id_, _ in scopes] + each
    exclusive = [alone for _, alone in scopes] + [True] * len(each)
    with connection.cursor() as cursor:
        # unnest yields the rows in the arrays' order, so the locks are taken in that order.
        cursor.execute(
            "SELECT CASE WHEN alone THEN pg_advisory_xact_lock(id) "
            "ELSE pg_advisory_xact_lock_shared(id) END "
            "FROM unnest(%s::bigint[], %s::boolean[]) AS t(id, alone)",
            [ids, exclusive],
        )


def take_slot(name, slots):
    """Take one of ``slots`` slots named ``name`` until the transaction ends; return False
    when all are taken (the caller then answers "busy, retry"). Always True on SQLite."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        for slot in range(slots):
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key_id(f"{name}:{slot}")])
            if cursor.fetchone()[0]:
                return True
    return False
