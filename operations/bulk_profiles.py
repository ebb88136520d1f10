"""Actions on many profiles at once, from the list: the selected ones or every one the list's
filters match. Put them in a static segment, set their global status, or delete them.

Each runs as a job (``jobs``): chunk by chunk in the order of the profiles' ids, each chunk's
writes committed with the job's position, so a million profiles go through the worker and a
few hundred are done at once in the request (``inline=None``). Every chunk is set-wise: one
query reads the chunk, one writes it, the history events and audit entries are bulk inserts.

Which profiles a job takes is decided again in each chunk, as its creator sees them now:
only databases they are a member of (``Profile.objects.visible_to``), with the permission the
action needs (``profiles.change_profile``, or ``profiles.delete_profile`` to delete). A
profile of another database is never touched, whatever the request named.
"""

from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.signals import log_updates
from core.status import Status
from history.services import record_for_many
from jobs import runner
from jobs.kinds import Chunk, JobKind, register
from profiles.filters import ProfileFilter
from profiles.models import Profile, ProfileDatabase
from segments.models import Segment, SegmentMembership
from subscriptions.models import SuppressedAddress

KIND = "bulk_profiles"
ACTIONS = {
    "segment": ("Add to a segment", "profiles.change_profile"),
    "status": ("Set the global status", "profiles.change_profile"),
    "delete": ("Delete", "profiles.delete_profile"),
}
# Every filter of the list (ProfileFilter's), so "all the profiles listed" is what it shows.
FILTER_KEYS = tuple(ProfileFilter.base_filters)
MULTIPLE_KEYS = {"status"}
SELECTION_MAX = 1000
CHUNK = 1000


def filter_data(source):
    """The list's filters given in ``source`` (a QueryDict)."""
    data = {}
    for key in FILTER_KEYS:
        values = [value for value in source.getlist(key) if value.strip()]
        if values:
            data[key] = values if key in MULTIPLE_KEYS else values[0]
    return data


def targets(user, *, profile_ids=None, filters=None):
    """The profiles an action takes: those named (``profile_ids``) or those the list's
    ``filters`` match, among the profiles ``user`` may see. Raise ValidationError for
    filters the list refuses."""
    profiles = Profile.objects.visible_to(user)
    if profile_ids is not None:
        return profiles.filter(profile_id__in=list(profile_ids)[:SELECTION_MAX])
    profile_filter = ProfileFilter(
        filters or {}, queryset=profiles, request=SimpleNamespace(user=user)
    )
    if not profile_filter.is_valid():
        raise ValidationError(profile_filter.errors)
    return profile_filter.qs


def check(user, action, *, segment=None, status=None):
    """Check the action and what it needs; return (segment, status) checked. A user without
    the action's permission gets PermissionDenied; a missing choice, a ValidationError."""
    if action not in ACTIONS:
        raise ValidationError({"action": f"Choose one of: {', '.join(ACTIONS)}."})
    if not user.has_perm(ACTIONS[action][1]):
        raise PermissionDenied
    if action == "segment":
        segments = Segment.objects.filter(database__in=_databases(user))
        found = segments.filter(pk=segment).first() if str(segment or "").isdigit() else None
        if found is None:
            raise ValidationError({"segment": "Choose a segment of one of your databases."})
        return found, None
    if action == "status":
        if status not in Status.values:
            raise ValidationError({"status": f"Choose one of: {', '.join(Status.values)}."})
        return None, status
    return None, None


def _databases(user):
    return ProfileDatabase.objects.visible_to(user)


def counts(profiles, segment=None):
    """How many profiles ``profiles`` holds (and, for a segment, how many are of its
    database, the others being left out), for the confirmation."""
    total = profiles.count()
    if segment is None:
        return total, total
    return total, profiles.filter(database_id=segment.database_id).count()


def start(user, action, *, profile_ids=None, filters=None, segment=None, status=None):
    """Start the action on the profiles (named, or matching the list's filters); return its
    job. Small ones (at most ``settings.EXPORT_INLINE_ROWS`` profiles) are done at once."""
    segment, status = check(user, action, segment=segment, status=status)
    profiles = targets(user, profile_ids=profile_ids, filters=filters)
    limit = settings.EXPORT_INLINE_ROWS
    inline = profiles.order_by()[: limit + 1].count() <= limit
    params = {
        "action": action,
        "segment": segment.pk if segment else None,
        "status": status,
        "profile_ids": list(profile_ids)[:SELECTION_MAX] if profile_ids is not None else None,
        "filters": filters or {},
    }
    return runner.start(KIND, user=user, params=params, inline=inline)


def step(job):
    """Apply the action to the next chunk of profiles, in the order of their ids."""
    params, user = job.params, job.created_by
    if user is None:
        raise PermissionDenied("The job's creator is gone.")
    segment, status = check(
        user, params["action"], segment=params.get("segment"), status=params.get("status")
    )
    profiles = targets(user, profile_ids=params.get("profile_ids"), filters=params["filters"])
    if segment is not None:  # profiles of other databases are left out
        profiles = profiles.filter(database_id=segment.database_id)
    position = job.position or {"after": 0}
    total = profiles.order_by().count() if job.position is None else None
    chunk = list(
        profiles.filter(pk__gt=position["after"])
        .order_by("pk")
        .only("id", "profile_id", "email", "status", "database_id", "avatar")[:CHUNK]
    )
    if params["action"] == "segment":
        changed = add_to_segment(segment, chunk)
    elif params["action"] == "status":
        changed = set_status(chunk, status)
    else:
        changed = delete(chunk)
    after = chunk[-1].pk if chunk else position["after"]
    changed += position.get("changed", 0)
    last = len(chunk) < CHUNK
    result = {"action": params["action"], "changed": changed} if last else None
    position = {"after": after, "changed": changed}
    return Chunk(position, done=len(chunk), total=total, last=last, result=result)


def add_to_segment(segment, profiles):
    """Put the profiles (of the segment's database) in the static segment; record each
    entry; return how many were not in it yet."""
    ids = [profile.pk for profile in profiles if profile.database_id == segment.database_id]
    present = set(
        SegmentMembership.objects.filter(segment=segment, profile_id__in=ids).values_list(
            "profile_id", flat=True
        )
    )
    new = [pk for pk in ids if pk not in present]
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, profile_id=pk) for pk in new], ignore_conflicts=True
    )
    record_for_many(new, "segment_entered", {"segment": segment.pk, "name": segment.name})
    return len(new)


def set_status(profiles, status):
    """Set the global status of the profiles; record each change (hard_bounced also
    suppresses the addresses); return how many changed."""
    changing = [profile for profile in profiles if profile.status != status]
    if not changing:
        return 0
    Profile.objects.filter(pk__in=[profile.pk for profile in changing]).update(
        status=status, updated_at=timezone.now()
    )
    by_previous = {}
    for profile in changing:
        by_previous.setdefault(profile.status, []).append(profile.pk)
    for previous, ids in by_previous.items():
        data = {"from": previous, "to": status, "source": "bulk"}
        record_for_many(ids, "status_changed", data)
    log_updates({profile: {"status": [profile.status, status]} for profile in changing})
    if status == Status.HARD_BOUNCED:
        SuppressedAddress.objects.bulk_create(
            [
                SuppressedAddress(address=p.email, reason="hard_bounced", profile_id=p.profile_id)
                for p in changing
            ],
            ignore_conflicts=True,
        )
    return len(changing)


def delete(profiles):
    """Delete the profiles with their history, subscriptions and relations; return how many."""
    for profile in profiles:
        if profile.avatar:
            profile.avatar.delete(save=False)
    Profile.objects.filter(pk__in=[profile.pk for profile in profiles]).delete()
    return len(profiles)


def summary(job):
    """Say what a finished job did, for the message after it: "Deleted 12 profiles."."""
    changed = (job.result or {}).get("changed", 0)
    action = job.params.get("action")
    noun = "profile" if changed == 1 else "profiles"
    if action == "segment":
        segment = Segment.objects.filter(pk=job.params.get("segment")).first()
        name = segment.name if segment else "the segment"
        return f"Added {changed} {noun} to the segment “{name}”."
    if action == "status":
        label = Status(job.params["status"]).label
        return f"Set the global status of {changed} {noun} to {label}."
    return f"Deleted {changed} {noun}."


BULK = register(JobKind(KIND, "Action on profiles", step, permission="profiles.change_profile"))
