"""Recording events: one entry of a profile's history for a change the product made."""

from django.utils import timezone

from .models import Event
from .types import IMPORT_SOURCES


def record_event(profile, type, data=None, occurred_at=None):
    """Record one action in the profile's history and return the event."""
    return Event.objects.create(
        profile=profile, type=type, data=data or {}, occurred_at=occurred_at or timezone.now()
    )


def record_for_many(profile_ids, type, data=None, occurred_at=None):
    """Record the same action in the history of many profiles at once (bulk insert)."""
    occurred_at = occurred_at or timezone.now()
    Event.objects.bulk_create(
        Event(profile_id=pk, type=type, data=data or {}, occurred_at=occurred_at)
        for pk in profile_ids
    )


def record_import(profile, source):
    """Record how the profile came into its database (manual, api, file, push)."""
    return record_event(profile, IMPORT_SOURCES[source], {"source": source})
