"""Read replicas: which database a query reads from.

``DATABASE_REPLICA_URLS`` adds the aliases ``replica_1``, ``replica_2``, … (config/settings.py,
which then installs ``ReplicaRouter`` and ``ReplicaMiddleware``). Without it nothing here runs
and every query goes to ``default``, the primary.

What may read from a replica is decided per request (or per block of a job), never per
query, and everything else reads the primary:

- ``ReplicaMiddleware`` lets GET and HEAD requests of the pages in ``REPLICA_VIEWS`` (the
  profile list, history, the personal-data export) and of the whole API read from one
  replica, picked at random for the request.
- ``replica_reads()`` lets a block of code do so: the list export's chunks, once the replica
  holds the export's job (so it holds everything committed before the export was asked for).
- Writes always go to the primary, and so does every read after a write in the same request
  or block, every read inside an ``atomic`` block the code opened itself (not the one
  ``ATOMIC_REQUESTS`` wraps each request in) and every read of the tables of accounts,
  sessions and jobs.
- **Read your writes**: a request that wrote (or any POST, PUT, PATCH or DELETE that
  succeeded) makes its user read the primary for ``REPLICA_STICKY_SECONDS``: a signed cookie
  for browsers, and an entry keyed by the user's id in the cache for every client (API
  tokens too; shared across processes and hosts when ``CACHE_URL`` names a Redis server).
  That many seconds must exceed the replicas' lag.
- **A replica that cannot be reached** is left out for ``REPLICA_RETRY_SECONDS`` (by this
  process; logged once each time): its requests read another replica, or the primary. A
  replica is chosen, and connected to, when a request or block is allowed to read from
  one, before its first read. **One that fails in the middle of a read** (its connection
  lost in a restart or a failover, a query cancelled by recovery on a standby) is left out
  the same way, and the view runs again on the primary: the request still answers (a
  streamed export that fails after it started sending cannot, and fails).
"""

import logging
import math
import random
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
# Pages whose GET and HEAD requests read from a replica (URL names), and URL namespaces all
# of whose GET and HEAD requests do.
REPLICA_VIEWS = frozenset({"profiles:list", "profiles:export", "history:profile", "history:export"})
REPLICA_NAMESPACES = frozenset({"api"})
# Tables always read on the primary: logins and permissions, sessions (Django's and the web
# layer's), the lockout, and the jobs and tasks the worker claims and updates.
PRIMARY_ONLY_APPS = frozenset(
    {
        "auth",
        "authtoken",
        "sessions",
        "web",
        "axes",
        "admin",
        "contenttypes",
        "jobs",
        "django_tasks_db",
    }
)
READ_METHODS = frozenset({"GET", "HEAD"})
STICKY_COOKIE = "replica_sticky"
_SALT = "core.db_routing.sticky"


def replica_aliases():
    """The replicas' database aliases, ``replica_1``…, in order."""
    return sorted(alias for alias in connections.settings if alias.startswith(REPLICA_PREFIX))


# alias -> time.monotonic() until which this process leaves the replica out
_unreachable = {}


def _leave_out(alias, error, what):
    seconds = settings.REPLICA_RETRY_SECONDS
    _unreachable[alias] = time.monotonic() + seconds
    logger.warning("Replica %s %s, left out for %g s: %s", alias, what, seconds, error)


def _reachable(alias):
    """Whether the replica answers (its connection opened, or already open), else leave it
    out for ``REPLICA_RETRY_SECONDS``."""
    if _unreachable.get(alias, 0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        if connection.connection is None:  # as ensure_connection() (which tests fence off)
            with connection.wrap_database_errors:
                connection.connect()
    except DatabaseError as error:
        _leave_out(alias, error, "unreachable")
        return False
    _unreachable.pop(alias, None)
    return True


def choose_replica(replicas):
    """A reachable replica of ``replicas`` at random, or None (then the primary is read)."""
    for alias in random.sample(replicas, len(replicas)):
        if _reachable(alias):
            return alias
    return None


def _cache_key(user_id):
    return f"replica-sticky:{user_id}"


def remember_write(response=None, user=None):
    """Make ``user`` (and the browser of ``response``) read the primary for a while."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if response is not None:
        response.set_signed_cookie(
            STICKY_COOKIE,
            "1",
            salt=_SALT,
            max_age=math.ceil(seconds),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    if user is not None and user.is_authenticated:
        cache.set(_cache_key(user.pk), time.time(), timeout=math.ceil(seconds))


def wrote_recently(request):
    """Whether the request's browser or user wrote within ``REPLICA_STICKY_SECONDS``."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if request.get_signed_cookie(STICKY_COOKIE, None, salt=_SALT, max_age=seconds) is not None:
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    written_at = cache.get(_cache_key(user.pk))
    return written_at is not None and time.time() - written_at < seconds


class _Reads:
    """What the current request (or block) may read from a replica."""

    def __init__(self, replicas, *, request=None):
        self.replicas = replicas
        self.replica = None  # chosen once reading from one is allowed
        self.request = request
        self.allowed = False
        self.wrote = False
        # Transactions already open on the primary (a job's chunk) are not the code's own.
        self.depth = len(connections[DEFAULT_DB_ALIAS].atomic_blocks)
        self._sticky = None

    def sticky(self):
        # Asked at the first read that could go to a replica: by then the API has
        # authenticated its client (DRF sets the request's user), so tokens count too.
        if self._sticky is None:
            self._sticky = self.request is not None and wrote_recently(self.request)
        return self._sticky

    def reads_replica(self, model):
        return (
            self.allowed
            and not self.wrote
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and len(connections[DEFAULT_DB_ALIAS].atomic_blocks) <= self.depth
            and not self.sticky()
        )


_reads = ContextVar("replica_reads", default=None)


@contextmanager
def replica_reads(after=None):
    """Let the reads of this block go to a replica (one per block) unless it writes first or
    the current request's user wrote recently; with ``after`` (a saved object), only once the
    replica holds that row, so the block sees all that was committed before it (a replica
    replays the primary's commits in order): a job reads what was there when it was asked
    for."""
    replicas = replica_aliases()
    if not replicas:
        yield
        return
    outer = _reads.get()
    state = _Reads(replicas, request=outer.request if outer is not None else None)
    state.replica = choose_replica(replicas)
    state.allowed = state.replica is not None and (
        after is None or type(after)._base_manager.using(state.replica).filter(pk=after.pk).exists()
    )
    token = _reads.set(state)
    try:
        yield
    finally:
        _reads.reset(token)
        if outer is not None and state.wrote:
            outer.wrote = True


def _off_replica(hints):
    """The primary for an object read from a replica, outside any replica decision (Django
    would otherwise send its related reads and its save back to the replica)."""
    instance = hints.get("instance")
    if instance is not None and (instance._state.db or "").startswith(REPLICA_PREFIX):
        return DEFAULT_DB_ALIAS
    return None


class ReplicaRouter:
    """Reads to the request's replica when it may read from one, everything else to the
    primary; migrations only on the primary."""

    def db_for_read(self, model, **hints):
        state = _reads.get()
        if state is None:
            return _off_replica(hints)
        return state.replica if state.reads_replica(model) else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        state = _reads.get()
        if state is None:
            return _off_replica(hints)
        state.wrote = True  # what this request reads next, it reads where it wrote
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db.startswith(REPLICA_PREFIX) else None


def _streamed(state, content):
    """``content``, each chunk made under ``state``."""
    chunks = iter(content)
    while True:
        token = _reads.set(state)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _reads.reset(token)
        yield chunk


class ReplicaMiddleware:
    """Decide, per request, whether its reads may go to a replica; after a write, keep the
    user on the primary for ``REPLICA_STICKY_SECONDS``. Last in ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replicas = replica_aliases()
        if not replicas:
            return self.get_response(request)
        state = _Reads(replicas, request=request)
        token = _reads.set(state)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if state.wrote or (request.method not in READ_METHODS and response.status_code < 400):
            remember_write(response, getattr(request, "user", None))
        if (
            response.streaming
            and state.allowed
            and getattr(response, "file_to_stream", None) is None
        ):
            # A streamed export reads as it is sent, after this returns: with the same choice.
            response.streaming_content = _streamed(state, response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _reads.get()
        match = request.resolver_match
        if state is None or request.method not in READ_METHODS or match is None:
            return None
        if match.view_name in REPLICA_VIEWS or REPLICA_NAMESPACES.intersection(match.namespaces):
            state.replica = choose_replica(state.replicas)
            state.allowed = state.replica is not None
            # ATOMIC_REQUESTS wraps the view in a transaction on the primary next: that one
            # block is not the code's own, reads inside it may still go to the replica.
            default = connections.settings[DEFAULT_DB_ALIAS]
            non_atomic = getattr(view_func, "_non_atomic_requests", set())
            atomic = default.get("ATOMIC_REQUESTS") and DEFAULT_DB_ALIAS not in non_atomic
            state.depth = len(connections[DEFAULT_DB_ALIAS].atomic_blocks) + bool(atomic)
        return None

    def process_exception(self, request, exception):
        """Answer a read whose replica failed under it (the connection lost, the query
        cancelled) from the primary, once, and leave the replica out."""
        state = _reads.get()
        if (
            state is None
            or not state.allowed
            or state.wrote  # never run twice (it reads the primary from its write on anyway)
            or not isinstance(exception, OperationalError | InterfaceError)
            or not connections[state.replica].errors_occurred  # the primary's, not its
        ):
            return None
        _leave_out(state.replica, exception, "failed during a read")
        connections[state.replica].close()  # broken, or to be opened afresh when back
        state.allowed = False
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)
