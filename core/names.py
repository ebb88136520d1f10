"""Countries and languages by name for people: "France (FR)", "French (fr)".

Both come from what the system already has, offline: country names from the tz database's
``iso3166.tab`` (the table ``operations.location`` reads the zones of a country from), and
language names from Django's own list of languages. A code neither knows is shown as is.
"""

import functools
import zoneinfo
from pathlib import Path

from django.conf.locale import LANG_INFO

# The tz table names a few countries for its own purposes ("Britain (UK)", "Korea (South)");
# people know them by their usual short names.
USUAL_NAMES = {
    "AS": "American Samoa",
    "CD": "DR Congo",
    "CG": "Congo",
    "GB": "United Kingdom",
    "KP": "North Korea",
    "KR": "South Korea",
    "MF": "Saint Martin",
    "MM": "Myanmar",
    "SX": "Sint Maarten",
    "SZ": "Eswatini",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}


@functools.cache
def country_names():
    """Return {ISO 3166 alpha-2 code: English name} from the tz database ({} if none)."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "iso3166.tab"
        if path.is_file():
            names = {}
            for line in path.read_text(encoding="utf-8").splitlines():
                code, _, name = line.partition("\t")
                if code and not code.startswith("#") and name:
                    names[code.strip().upper()] = name.strip()
            return names | USUAL_NAMES
    return {}


def country_label(code):
    """Return "France (FR)" for "FR"; a code without a known name as it is."""
    if not code:
        return code
    name = country_names().get(code.upper())
    return f"{name} ({code.upper()})" if name else code


def language_names():
    """Return {language tag: English name} of the languages Django knows ("pt-br": ...)."""
    return {code: info["name"] for code, info in LANG_INFO.items() if "name" in info}


def language_name(tag):
    """Return the English name of a language tag ("pt-BR": Brazilian Portuguese), or ""."""
    tag = (tag or "").lower()
    while tag:
        info = LANG_INFO.get(tag)
        if info and "name" in info:
            return info["name"]
        if info and "fallback" in info:
            tag = info["fallback"][0]
            continue
        tag = tag.rpartition("-")[0]  # "de-at" unknown: "de"
    return ""


def language_label(tag):
    """Return "French (fr)" for "fr"; a tag without a known name as it is."""
    name = language_name(tag)
    return f"{name} ({tag})" if name else tag
