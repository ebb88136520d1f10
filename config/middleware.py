import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from core.races import lost_race

logger = logging.getLogger(__name__)

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
    """Answer 503 with ``Retry-After`` to a write that lost a race with another request
    (``core.races``: a deadlock, a serialization failure, a row deleted meanwhile), instead
    of a 500.

    Its transaction was rolled back whole: the request changed nothing and can simply be
    sent again, which a 503 with ``Retry-After`` tells a client (and a mail server's retry
    queue) to do, where a 500 says the server is broken; sent again, it gets the answer
    the winner left (a 404 for a profile deleted meanwhile). Logged as a warning.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not lost_race(exception):
            return None
        logger.warning(
            "%s %s lost a race, rolled back: %s", request.method, request.path, exception
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
