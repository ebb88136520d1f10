"""The profile's Tracked location from the IP of its latest action (a reported event, a
pixel hit): IP, country and time zone, found offline.

The one offline look-up is ``core.text.country_from_ip`` (iptocc): a country, nothing finer.
So, when an action's IP is located:

- the profile's ``ip`` becomes that IP and ``country`` its country;
- the time zone is set only where the country has exactly one (the system's tz database,
  ``zone.tab``, else ``zone1970.tab``; France → Europe/Paris, the United States none);
- when the country changes, what described the old place — region, city, ZIP code, time
  zone and the map pin's coordinates — is cleared: no dataset gives them for the new one,
  and a pin or a city in another country would contradict it;
- an IP that locates nowhere (a private address) changes the IP only.

An action older than the latest one carrying an IP (an event reported late, a visitor's
anonymous hits joined on registration) leaves the location as it is.
"""

import functools
import zoneinfo
from collections import defaultdict
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Max

from core.lookups import any_of
from core.text import country_from_ip, known_timezones
from history.models import Event
from profiles.models import Profile

from .profiles import update_profile

ZONE_TABLES = ("zone.tab", "zone1970.tab")
# What describes a place finer than its country: cleared when the country changes.
PLACE_FIELDS = {
    "region": "",
    "city": "",
    "zip_code": "",
    "timezone": "",
    "latitude": None,
    "longitude": None,
}


@functools.cache
def zones_by_country():
    """Return {country code: [time zone names]} from the system's tz database ({} if none)."""
    for directory in zoneinfo.TZPATH:
        for table in ZONE_TABLES:
            path = Path(directory) / table
            if path.is_file():
                return _read_zone_table(path)
    return {}


def _read_zone_table(path):
    zones = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 3 or columns[2] not in known_timezones():
            continue
        for country in columns[0].split(","):
            zones[country.strip().upper()].append(columns[2])
    return dict(zones)


def zone_of_country(country):
    """Return the country's time zone when it has exactly one, else ""."""
    zones = zones_by_country().get((country or "").upper(), [])
    return zones[0] if len(zones) == 1 else ""


def located(ip):
    """Return what an IP says of a profile's Tracked fields: {ip, country, timezone}."""
    country = country_from_ip(ip)
    return {"ip": ip, "country": country, "timezone": zone_of_country(country)}


def location_change(profile, ip):
    """Return the Tracked values an action from ``ip`` sets on ``profile`` (see above)."""
    found = located(ip)
    values = {"ip": ip}
    if not found["country"]:
        return values
    if found["country"] != profile.country:
        values |= PLACE_FIELDS
    values["country"] = found["country"]
    if found["timezone"]:
        values["timezone"] = found["timezone"]
    return values


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
        locked = Profile.objects.select_for_update().only(*fields).get(pk=profile.pk)
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
