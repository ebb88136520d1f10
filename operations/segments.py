"""Segment membership: putting a profile in a static segment or taking it out, with the
history event it records."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.races import LostRace
from history.services import record_event
from segments.models import SegmentMembership


@transaction.atomic
def add_to_segment(segment, profile):
    """Put the profile in the static segment and record the entry; return True if it was new."""
    if segment.database_id != profile.database_id:
        raise ValidationError(
            {"segment": f"Segment “{segment.name}” belongs to another profile database."}
        )
    try:
        _, created = SegmentMembership.objects.get_or_create(segment=segment, profile=profile)
    except IntegrityError as error:
        # Added by another request while this one tried, then taken out by a third before
        # this one could read it back: get_or_create gives up with the conflict.
        raise LostRace(f"Segment {segment.pk}: the member changed meanwhile.") from error
    if created:
        record_event(profile, "segment_entered", {"segment": segment.pk, "name": segment.name})
    return created


@transaction.atomic
def remove_from_segment(segment, profile):
    """Take the profile out of the static segment and record the exit; return True if it was in."""
    deleted, _ = SegmentMembership.objects.filter(segment=segment, profile=profile).delete()
    if deleted:
        record_event(profile, "segment_exited", {"segment": segment.pk, "name": segment.name})
    return bool(deleted)
