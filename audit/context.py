"""Who is changing data, and through what: set per request, read by the audit signals."""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object = None
    channel: str = "system"


_current = ContextVar("audit_actor", default=None)


def current_actor():
    return _current.get() or Actor()


@contextlib.contextmanager
def acting(user=None, channel="system"):
    """Attribute the changes made inside the block to ``user`` through ``channel``."""
    token = _current.set(Actor(user, channel))
    try:
        yield
    finally:
        _current.reset(token)


def channel_for_path(path):
    if path.startswith("/api/v1/profiles/import"):
        return "import"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


class AuditContextMiddleware:
    """Record the request's user and channel (page, api, admin, import) for the audit log.

    DRF authenticates token requests inside the view, so the user is read lazily from the
    request when an entry is written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting(request, channel_for_path(request.path)):
            return self.get_response(request)
