"""Segment membership: putting a profile in a static segment or taking it out, with the
history event it records."""

from django.core.exceptions import ValidationError
from django.db import transaction

from history.services import record_event
from segments.models import SegmentMembership


@transaction.atomic
def add_to_segment(segment, profile):
    """Put the profile in the static segment and record the entry; return True if it was new."""
    if segment.database_id != profile.database_id:
        raise ValidationError(
            {"segment": f"Segment “{segment.name}” belongs to another profile database."}
        )
    _, created = SegmentMembership.objects.get_or_create(segment=segment, profile=profile)
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
