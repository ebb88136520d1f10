"""Locks a transaction holds on keys rather than rows: for a value that must identify one row
before that row exists (a new profile's email or phone in an import matched by it).

PostgreSQL takes advisory transaction locks, released at commit; two transactions locking
overlapping keys take them in the same (sorted) order, so they wait for each other and
never deadlock. On SQLite there is nothing to take: a writing transaction holds the whole
database there.
"""

import hashlib

from django.db import connection


def key_id(key):
    """Return the 64-bit lock id of a key (any text)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(keys):
    """Hold a lock on each key until the current transaction ends (waiting for holders)."""
    ids = sorted({key_id(key) for key in keys})
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # unnest yields the sorted ids in order, so the locks are taken in that order.
        cursor.execute("SELECT pg_advisory_xact_lock(id) FROM unnest(%s::bigint[]) AS id", [ids])


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
