"""Events reported by integrations: what one reported event must look like.

``operations.events`` ingests them (finds their profiles, applies their consequences);
this checks each item on its own and extracts what a click carries.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from .filters import parse_moment
from .types import EVENT_TYPES_BY_SLUG

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
REPORTED_KEYS = frozenset({"profile_id", "type", "occurred_at", "data"})
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def click_utm(data):
    """Return the UTM tags a click carries: its utm_* keys, else the URL's utm_* parameters."""
    tags = {tag: data[tag] for tag in UTM_TAGS if data.get(tag)}
    if not tags and data.get("url"):
        query = parse_qs(urlsplit(data["url"]).query)
        tags = {tag: query[tag][0][:200] for tag in UTM_TAGS if query.get(tag, [""])[0]}
    return tags


def reported_profile_id(item):
    """Return the profile_id a reported event names, as its check keeps it, or None when it
    names none (``item`` as sent: anything)."""
    profile_id = item.get("profile_id") if isinstance(item, dict) else None
    if not isinstance(profile_id, str) or not profile_id.strip():
        return None
    return profile_id.strip().lower()


def clean_reported_event(item, now):
    """Check one reported event's fields; return (values, errors by field)."""
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["Enter an event as an object."]}
    errors, values = {}, {}
    profile_id = reported_profile_id(item)
    if profile_id is None:
        errors["profile_id"] = ["Enter the profile_id of the profile the event belongs to."]
    else:
        values["profile_id"] = profile_id
    slug = item.get("type")
    event_type = EVENT_TYPES_BY_SLUG.get(slug) if isinstance(slug, str) else None
    if event_type is None:
        errors["type"] = [f"Unknown event type “{slug}”; the types are listed at events/types/."]
    elif not event_type.accepted:
        errors["type"] = [
            f"“{slug}” events are recorded by the product when the change is made; "
            "make the change instead of reporting the event."
        ]
    else:
        values["type"] = slug
    occurred_at = item.get("occurred_at")
    if occurred_at is None or occurred_at == "":  # [] or 0 is a bad time, not "now"
        values["occurred_at"] = now
    else:
        try:
            values["occurred_at"] = parse_moment(occurred_at, require_time=True)
        except ValueError as error:
            errors["occurred_at"] = [str(error)]
        else:
            if values["occurred_at"] > now + FUTURE_TOLERANCE:
                minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
                errors["occurred_at"] = [
                    f"The time is more than {minutes} minutes in the future; "
                    "send the time the action happened."
                ]
    if event_type is not None and event_type.accepted:
        data, data_errors = event_type.clean_data(item.get("data"))
        if data_errors:
            errors["data"] = data_errors.get("") or data_errors
        values["data"] = data
    unknown = item.keys() - REPORTED_KEYS
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(sorted(unknown))}."]
    return values, errors
