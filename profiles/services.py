"""Operations on profiles that span apps (a change that also writes history)."""

from django.db import transaction

from history.services import record_event, record_import

from .models import Status


@transaction.atomic
def create_profile(profile, *, source):
    """Save a new profile and record how it came (manual, api, file, push)."""
    profile.save()
    record_import(profile, source)
    if profile.in_control_group:
        record_event(profile, "control_group_entered")
    return profile


@transaction.atomic
def update_profile(profile, *, source, changed=()):
    """Save changes to a profile and record the status change or control-group entry."""
    previous = profile._loaded_status
    was_in_group = (
        type(profile).objects.filter(pk=profile.pk).values_list("in_control_group", flat=True)[0]
        if "in_control_group" in changed
        else profile.in_control_group
    )
    profile.save()
    if previous and previous != profile.status:
        record_event(
            profile, "status_changed", {"from": previous, "to": profile.status, "source": source}
        )
    if profile.in_control_group and not was_in_group:
        record_event(profile, "control_group_entered")
    return profile


def change_status(profile, status, *, source):
    """Set the profile's global status (hard_bounced also suppresses its address)."""
    profile.status = Status(status)
    return update_profile(profile, source=source)


@transaction.atomic
def delete_profile(profile):
    """Remove the profile with its history, subscriptions and relations."""
    profile.avatar.delete(save=False) if profile.avatar else None
    profile.delete()
