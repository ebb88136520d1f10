"""Moments as people read them, the one way every page shows a time.

``{{ value|moment }}`` renders an aware datetime as ``2026-12-02 08:44`` in the viewer's
time zone (``core.middleware.TimezoneMiddleware``) inside ``<time datetime="…"
data-zone="…">``: ``static/js/history.js`` rewrites it in the browser's zone on a first
visit, before the zone's cookie reaches the server. ``{% time_zone %}`` names the zone
(pages say "Times in Europe/Paris" once, beside the times). Other values pass through.
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()

MOMENT_FORMAT = "%Y-%m-%d %H:%M"


def moment_html(value):
    """Return a datetime as a ``<time>`` element in the current zone (others unchanged)."""
    if not isinstance(value, datetime.datetime):
        return value
    zone = timezone.get_current_timezone()
    local = timezone.localtime(value, zone) if timezone.is_aware(value) else value
    return format_html(
        '<time datetime="{}" data-zone="{}">{}</time>',
        local.isoformat(),
        str(zone),
        local.strftime(MOMENT_FORMAT),
    )


@register.filter
def moment(value):
    return moment_html(value)


@register.simple_tag
def time_zone():
    """Name the viewer's time zone in an element history.js keeps up to date."""
    zone = str(timezone.get_current_timezone())
    return format_html('<span class="time-zone" data-zone="{}">{}</span>', zone, zone)
