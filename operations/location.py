"""The profile's Tracked location from the IP of its latest action (a reported event, a
pixel hit), through the one rule of what an IP says (``profiles.location``: IP, country,
time zone, the old place cleared when the country changes).

An action older than the latest one carrying an IP (an event reported late, a visitor's
anonymous hits joined on registration) leaves the location as it is.
"""

from django.core.exceptions import ValidationError
from django.db.models import Max

from core.lookups import any_of
from core.races import read_again
from history.models import Event
from profiles.location import PLACE_FIELDS, location_change
from profiles.models import Profile

from .profiles import update_profile


def newer_located_action(profile, occurred_at):
    """Whether the profile has an action with an IP later than ``occurred_at``."""
    return Event.objects.filter(
        profile=profile, occurred_at__gt=occurred_at, data__has_key="ip"
    ).exists()


def newest_located_actions(profile_pks, since, *, exclude=()):
    """Return {profile pk: when its latest action with an IP happened}, for the profiles
    that have one later than ``since`` (one query; the events ``exclude`` names left out)."""
    return dict(
        Event.objects.filter(
            any_of("profile_id", profile_pks), occurred_at__gt=since, data__has_key="ip"
        )
        .exclude(any_of("pk", exclude))
        .values("profile_id")
        .annotate(latest=Max("occurred_at"))
        .values_list("profile_id", "latest")
        .order_by()
    )


def update_location_from_ip(profile, ip, *, occurred_at=None, source="event"):
    """Set the profile's Tracked location from an action's IP; return the fields changed.

    ``occurred_at`` is when the action happened: an action older than the latest located
    one changes nothing. A value that is not an IPv4 address changes nothing either (the
    event's data was checked when it was reported).
    """
    if not ip or not isinstance(ip, str):
        return []
    try:
        ip = Profile._meta.get_field("ip").clean(ip, profile)
    except ValidationError:
        return []
    if occurred_at is not None:
        # The row is locked, and its location read again, before looking for a newer
        # action: one reported at the same time and committed while this waited is then
        # seen, and an older IP does not overwrite it.
        fields = ["ip", "country", "timezone", *PLACE_FIELDS]
        locked = read_again(Profile.objects.locked_for_change().only(*fields), pk=profile.pk)
        for name in fields:
            setattr(profile, name, getattr(locked, name))
        if newer_located_action(profile, occurred_at):
            return []
    values = location_change(profile, ip)
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    if changed:
        update_profile(profile, {name: values[name] for name in changed}, source=source)
    return changed


def locate_from_event(event):
    """Apply an event's ``data.ip`` to its profile's location (events without one: nothing)."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("ip"):
        update_location_from_ip(event.profile, data["ip"], occurred_at=event.occurred_at)
