"""Two middlewares every page relies on: the viewer's time zone, and messages after htmx.

``TimezoneMiddleware`` activates the viewer's time zone for the request: the browser's,
which ``static/js/history.js`` keeps in the ``tz`` cookie (an unknown name is ignored), or
``TIME_ZONE``. Times are then rendered, and dates typed into filters read, in that zone.

``HtmxMessagesMiddleware`` delivers ``django.contrib.messages`` to htmx requests: a fragment
has no ``#messages`` box of its own, so the messages queued by the view are rendered with
``includes/messages.html`` and appended to the fragment, swapped out of band into the
page's ``#messages`` (``beforeend``). Views add messages the ordinary way
(``messages.success(request, …)``, ``core.htmx.after_change(message=…)``); a plain request
shows them on the next page it renders. It must sit after ``MessageMiddleware``.
"""

import functools
import zoneinfo

from django.template.loader import render_to_string
from django.utils import timezone

TIMEZONE_COOKIE = "tz"


@functools.cache
def _zone_names():
    return zoneinfo.available_timezones()


def zone_from_cookie(request):
    """Return the time zone the ``tz`` cookie names, or None when it names none we know."""
    name = request.COOKIES.get(TIMEZONE_COOKIE, "")
    return zoneinfo.ZoneInfo(name) if name in _zone_names() else None


class TimezoneMiddleware:
    """Render the request in the viewer's time zone (the ``tz`` cookie) or ``TIME_ZONE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = zone_from_cookie(request)
        if zone is None:
            timezone.deactivate()
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


def _takes_messages(request, response):
    """Whether the response is an htmx fragment that htmx swaps and that can carry them."""
    if request.headers.get("HX-Request") != "true" or request.headers.get(
        "HX-History-Restore-Request"
    ):
        return False
    if response.streaming or not 200 <= response.status_code < 300:
        return False
    if any(name in response for name in ("HX-Redirect", "HX-Location", "HX-Refresh")):
        return False
    return response.get("Content-Type", "").startswith("text/html")


class HtmxMessagesMiddleware:
    """Append the request's pending messages to an htmx fragment, swapped out of band."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        storage = getattr(request, "_messages", None)
        # ``used`` is set once something (a whole page's base template) has shown them.
        if storage is None or storage.used or not len(storage):
            return response
        if not _takes_messages(request, response):
            return response
        html = render_to_string(
            "includes/messages.html", {"messages": storage, "oob": True}, request
        )
        response.content = response.content + html.encode(response.charset)
        return response
