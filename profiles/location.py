"""What an IP says of a profile's Tracked location (IP, country, time zone), found offline:
the one rule for every path that locates a profile from an IP (a reported event, a pixel
hit, a profile written with an ``ip``: the API, an import row, a file import, a form).

The one offline look-up is ``core.text.country_from_ip`` (iptocc): a country, nothing finer.
So, when an IP is located:

- the profile's ``ip`` becomes that IP and ``country`` its country;
- the time zone is set only where the country has exactly one (the system's tz database,
  ``zone.tab``, else ``zone1970.tab``; France → Europe/Paris, the United States none);
- when the country changes, what described the old place — region, city, ZIP code, time
  zone and the map pin's coordinates — is cleared: no dataset gives them for the new one,
  and a pin or a city in another country would contradict it;
- an IP that locates nowhere (a private address) changes the IP only.
"""

import functools
import zoneinfo
from collections import defaultdict
from pathlib import Path

from core.text import country_from_ip, known_timezones

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
    """Return the Tracked values an action from ``ip`` sets on ``profile`` (see above;
    ``profile`` None: a new profile)."""
    found = located(ip)
    values = {"ip": ip}
    if not found["country"]:
        return values
    if found["country"] != getattr(profile, "country", ""):
        values |= PLACE_FIELDS
    values["country"] = found["country"]
    if found["timezone"]:
        values["timezone"] = found["timezone"]
    return values
