"""Running work in threads released at once, against PostgreSQL (SQLite serialises writers)."""

import threading

import pytest
from django.db import close_old_connections, connection

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises all writers and has no row locks, "
    "so concurrent requests cannot race there (set DATABASE_URL to a PostgreSQL database)",
)


def run_together(count, work):
    """Run work(n) in count threads released at once; return the errors raised."""
    barrier = threading.Barrier(count)
    errors = []

    def target(n):
        try:
            barrier.wait()
            work(n)
        except Exception as error:  # collected for the assertion
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
