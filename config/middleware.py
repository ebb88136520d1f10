import logging

from django.conf import settings
from django.db import OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

logger = logging.getLogger(__name__)

# PostgreSQL's answers to a transaction that lost a race it cannot wait out: a deadlock
# (40P01) and a serialization failure (40001). Nothing of it was kept; the same request
# sent again runs after the winner.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
RETRY_AFTER_SECONDS = 1


class NoStoreMiddleware:
    """Keep pages and API answers (personal data) out of every cache: Cache-Control: no-store.

    Static files are served by WhiteNoise before this middleware and keep their own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response


class NulInPathMiddleware:
    """Answer 404 to a path holding a NUL character: no URL here has one, and a NUL that
    reached a lookup (a profile_id, a subscription id) would make PostgreSQL fail (a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404("No URL contains a NUL character.")
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose body is larger than ``MAX_REQUEST_BYTES``, before any
    of it is read: no body, JSON, form or upload, is ever taken whole past that size."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = f"The request body is {length:,} bytes; at most {limit:,} are taken."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class RetryableConflictMiddleware:
    """Answer 503 with ``Retry-After`` to a write PostgreSQL gave up on because it lost a
    race with another one (a deadlock, a serialization failure), instead of a 500.

    The writes take their rows in a set order so that this should not happen; where two
    kinds of write still meet the other way round, the database cancels one of them and
    rolls it back whole. That request changed nothing and can simply be sent again, which
    a 503 with ``Retry-After`` tells a client (and a mail server's retry queue) to do,
    where a 500 says the server is broken. It is logged as a warning, to be looked into.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        if getattr(exception.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
            return None
        logger.warning(
            "%s %s lost a race and was rolled back: %s", request.method, request.path, exception
        )
        message = (
            "This change met another one made at the same moment and was not saved; "
            "nothing of it was kept. Send it again."
        )
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
