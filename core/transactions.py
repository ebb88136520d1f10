"""Which requests run in a transaction: the writes, not the reads.

``ATOMIC_REQUESTS`` wraps every request in a transaction, so that a change and its audit
entry commit together. A read gains nothing from it (PostgreSQL reads each statement from
a snapshot of its own either way) and pays for it: ``BEGIN`` and ``COMMIT`` are two more
round trips to the database, as many as the rest of an API read (authentication and the
rows); and on SQLite, where a transaction takes the write lock when it begins, a read
would wait behind the worker's import.

``atomic_writes(patterns)`` (config/urls.py: every URL) gives the views exactly that: GET,
HEAD and OPTIONS run outside a transaction (what such a request writes, an operation writes
in its own), any other method inside one, as ``ATOMIC_REQUESTS`` would (an exception, or
an error answered by DRF, rolls it back). An API write PostgreSQL cancels in a deadlock is
run again, whole, after a short pause (``DEADLOCK_RETRIES``): its transaction was rolled
back, so that is what the client would do on the 503, and rolling back only to a savepoint
does not do: a transaction waiting for a row this one locked in a savepoint since released
waits for this transaction's end, not the row's.
"""

import logging
import random
import time
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction
from django.urls import URLPattern, URLResolver
from rest_framework.permissions import SAFE_METHODS  # GET, HEAD, OPTIONS: as the API's checks

from core.races import deadlocked

# How many times an API write PostgreSQL cancelled in a deadlock is run again, whole, before
# it is answered 503 ("send it again", config.middleware.RetryableConflictMiddleware).
DEADLOCK_RETRIES = 2

logger = logging.getLogger(__name__)


def atomic_unless_safe(view):
    """``view`` in a transaction for the methods that may write, outside one for reads."""
    if DEFAULT_DB_ALIAS in getattr(view, "_non_atomic_requests", ()):
        return view  # outside a transaction already, for every method (or wrapped here)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return view(request, *args, **kwargs)
        retries = DEADLOCK_RETRIES if _replayable(request) else 0
        attempt = 0
        while True:
            try:
                with transaction.atomic():
                    return view(request, *args, **kwargs)
            except OperationalError as error:
                if not deadlocked(error) or attempt == retries:
                    raise
                logger.warning(
                    "%s %s cancelled in a deadlock, rolled back, run again: %s",
                    request.method,
                    request.path,
                    error,
                )
            # Rolled back whole: nothing of it was kept, as if the client sent it again. A
            # short random pause lets the other transaction take what it waited for.
            attempt += 1
            time.sleep(random.uniform(0.05, 0.25) * attempt)

    wrapper._non_atomic_requests = {DEFAULT_DB_ALIAS}  # a set of its own, not the view's
    return wrapper


def _replayable(request):
    """Whether the view can be run again on ``request``: an API call with a JSON body (or
    none), read now so that DRF parses it again from the start (a page's form may have left
    a message, a multipart upload a stored file)."""
    if not request.path.startswith("/api/"):
        return False
    has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
    if has_body and request.content_type != "application/json":
        return False
    request.body  # noqa: B018 (cached: DRF reads it from the start on each run)
    return True


def atomic_writes(patterns):
    """Give every view of ``patterns`` (and of what they include) ``atomic_unless_safe``;
    return ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            atomic_writes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = atomic_unless_safe(pattern.callback)
    return patterns
