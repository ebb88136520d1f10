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
an error answered by DRF, rolls it back).
"""

from functools import wraps

from django.db import DEFAULT_DB_ALIAS, transaction
from django.urls import URLPattern, URLResolver
from rest_framework.permissions import SAFE_METHODS  # GET, HEAD, OPTIONS: as the API's checks


def atomic_unless_safe(view):
    """``view`` in a transaction for the methods that may write, outside one for reads."""
    if DEFAULT_DB_ALIAS in getattr(view, "_non_atomic_requests", ()):
        return view  # outside a transaction already, for every method (or wrapped here)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    wrapper._non_atomic_requests = {DEFAULT_DB_ALIAS}  # a set of its own, not the view's
    return wrapper


def atomic_writes(patterns):
    """Give every view of ``patterns`` (and of what they include) ``atomic_unless_safe``;
    return ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            atomic_writes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = atomic_unless_safe(pattern.callback)
    return patterns
