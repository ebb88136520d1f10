"""Keyset (cursor) paging of events, newest first, on (occurred_at, id).

A page is read with the index (profile, -occurred_at, -id): "the next 50 events older than
the last one shown". No OFFSET and no COUNT, so page 50 costs what page 1 costs, and events
recorded meanwhile never shift a page (new ones are newer than any cursor).
"""

import base64
import binascii
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q

from core.fieldtypes import is_empty
from core.text import whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def encode_cursor(event):
    """Return the opaque cursor pointing just after this event."""
    text = f"{event.occurred_at.isoformat()}|{event.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """Return (occurred_at, id) from a cursor or raise ValidationError."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = text.split("|")
        occurred_at, pk = datetime.fromisoformat(moment), int(pk)
        if occurred_at.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": "Invalid cursor: use the “next” link as given."}) from None
    return occurred_at, pk


def older_than(queryset, cursor):
    """Keep the events after the cursor in newest-first order."""
    if not cursor:
        return queryset
    occurred_at, pk = decode_cursor(cursor)
    # The first condition bounds the index range scan; the second breaks ties on id.
    return queryset.filter(occurred_at__lte=occurred_at).filter(
        Q(occurred_at__lt=occurred_at) | Q(id__lt=pk)
    )


def page(queryset, cursor=None, size=PAGE_SIZE):
    """Return (events, next cursor or None): one page newest first, after the cursor."""
    queryset = older_than(queryset, cursor).order_by("-occurred_at", "-id")
    events = list(queryset[: size + 1])
    if len(events) > size:
        events = events[:size]
        return events, encode_cursor(events[-1])
    return events, None


def chunks(queryset, size=2000):
    """Yield every event of the queryset newest first, reading keyset pages of ``size``."""
    cursor = None
    while True:
        events, cursor = page(queryset, cursor, size)
        yield from events
        if cursor is None:
            return


def page_size(value, default=PAGE_SIZE):
    """Return the requested page size or raise ValidationError naming ``page_size``."""
    if is_empty(value):
        return default
    size = whole_number(str(value), MAX_PAGE_SIZE)
    if size is None:
        raise ValidationError({"page_size": f"Enter a whole number from 1 to {MAX_PAGE_SIZE}."})
    return size
