"""Writes of profiles, each with what it causes elsewhere: history events, the suppression list.

Values are checked once, by ``profiles.models.check_profile_values`` (here, or by the form
that already called it: a ``CheckedValues`` is not checked again). A change of the global
status records ``status_changed``; ``hard_bounced`` puts the address on the suppression
list; entering the global control group records ``control_group_entered``; a new profile
records how it came (manual, api, file, push).

A change writes only the fields it was asked to change, to the profile's row read under a
lock (custom values merged into the ones held then): two requests changing different fields
both keep their change, and an edit never undoes a status an event set meanwhile.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.races import read_again
from core.status import Status
from history.services import record_event, record_import
from profiles.models import CheckedValues, Profile, check_profile_values
from subscriptions.models import SuppressedAddress

from .control_group import assign_new_profile


@contextmanager
def _in_transaction():
    """Join the caller's transaction (a request's, an import row's: the unit), else open one.

    No savepoint of its own, and unlike ``atomic(savepoint=False)`` an error raised through
    it does not doom the caller's transaction: the email taken by a concurrent write is
    turned into an error by _save after its own savepoint was rolled back, so the request
    can still answer with the form and its error.
    """
    if transaction.get_connection().in_atomic_block:
        yield
    else:
        with transaction.atomic():
            yield


@_in_transaction()
def create_profile(database, values, *, source, profile=None):
    """Create a profile of ``database`` from ``values`` and record how it came.

    ``profile`` is an unsaved profile to fill (the admin's form instance), else a new one.
    """
    if not isinstance(values, CheckedValues):
        values = check_profile_values(database, values)
    profile = profile or Profile()
    profile.database = database
    for name, value in values.items():
        setattr(profile, name, value.applied_to({}) if name == "custom_values" else value)
    assign_new_profile(profile)
    _save(profile)
    record_import(profile, source)
    _record_consequences(profile, status=None, in_control_group=False, source=source)
    return profile


@_in_transaction()
def update_profile(profile, values, *, source, replace_custom_values=False):
    """Change ``profile``'s values (custom values merged unless ``replace_custom_values``)."""
    if not isinstance(values, CheckedValues):
        values = check_profile_values(
            profile.database, values, profile=profile, replace_custom_values=replace_custom_values
        )
    stored = read_again(Profile.objects.select_for_update(), pk=profile.pk)
    status, in_control_group = stored.status, stored.in_control_group
    changed = []
    for name, value in values.items():
        if name == "custom_values":
            value = value.applied_to(stored.custom_values)
        if getattr(stored, name) != value:
            setattr(stored, name, value)
            changed.append(name)
    if changed:
        _save(stored, update_fields=[*changed, "updated_at"])
    for model_field in Profile._meta.concrete_fields:  # the caller's profile shows what is stored
        setattr(profile, model_field.attname, getattr(stored, model_field.attname))
    profile._loaded_phones = stored._loaded_phones
    _record_consequences(profile, status=status, in_control_group=in_control_group, source=source)
    return profile


def _save(profile, **kwargs):
    """Save; an email taken by a concurrent write meanwhile is the same error as one taken
    before (the database's unique constraint decides the race)."""
    try:
        with transaction.atomic():
            profile.save(**kwargs)
    except IntegrityError as error:
        if "email" not in str(error):
            raise
        raise ValidationError(
            {"email": [f"Another profile of database “{profile.database}” has this email."]}
        ) from None


def change_status(profile, status, *, source):
    """Set the profile's global status (hard_bounced also suppresses its address)."""
    return update_profile(profile, {"status": Status(status)}, source=source)


def _record_consequences(profile, *, status, in_control_group, source):
    """Record what a written profile's new status and control-group mark mean."""
    if status != profile.status:
        if status is not None:
            data = {"from": status, "to": profile.status, "source": source}
            record_event(profile, "status_changed", data)
        if profile.status == Status.HARD_BOUNCED:
            suppress_address(profile)
    if profile.in_control_group and not in_control_group:
        record_event(profile, "control_group_entered")


def lock_profile(pk):
    """Lock the profile's row before a write changes rows of it (a subscription, a promo
    code, a loyalty balance): those writes, a confirmation and the profile's delete all
    take the profile first, so they wait for each other instead of deadlocking (a write
    holding its row waited at commit for the profile a delete held, which waited for the
    row). ``FOR NO KEY UPDATE``: the key-share locks of new rows referring to the profile
    pass. ``LostRace`` when the profile was deleted meanwhile."""
    read_again(Profile.objects.locked_for_change().only("pk"), pk=pk)


def suppress_address(profile):
    """Put a hard-bounced profile's address on the suppression list (once)."""
    return SuppressedAddress.objects.suppress(profile.email, reason="hard_bounced", profile=profile)


@transaction.atomic
@_in_transaction()
def delete_profile(profile):
    """Remove the profile with its history, subscriptions and relations.

    The row is locked first (``FOR UPDATE``): a write adding a row that refers to the
    profile (an event, an order) checks it at commit with a key-share lock, which waits
    for this one, then fails as the profile is gone (``core.races``: sent again, it is a
    404). Without the lock such a row, committed after Django read the rows to delete
    with the profile, made the delete itself fail at its commit.
    """
    read_again(Profile.objects.select_for_update().only("pk"), pk=profile.pk)
    if profile.avatar:
        profile.avatar.delete(save=False)
    profile.delete()
