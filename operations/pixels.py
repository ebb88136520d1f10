"""Pixel hits: a known profile's goal event at once, an anonymous visitor's kept until known.

``record_hit`` checks a hit once (its goal one of the pixel's, the profile of the pixel's
database, its data the shape of a ``pixel`` event); a hit of a profile is recorded as a
``pixel`` event with its consequences (``operations.events``: an IP locates the profile),
a hit known only by an anonymous id is stored as an ``AnonymousHit``.

``join_anonymous_hits`` turns a visitor's stored hits into the profile's ``pixel`` events
(at the times they happened) once that visitor is identified: by a form submission
(``operations.webforms``) or an import row (``operations.imports``) carrying the id.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.fieldtypes import clean_ip
from history.models import Event
from history.types import EVENT_TYPES_BY_SLUG
from pixels.models import (
    ANONYMOUS_ID_MAX_LENGTH,
    VALUE_LIMIT,
    AnonymousHit,
    hit_event_data,
    validate_anonymous_id,
)

from .events import ingest_event
from .location import update_location_from_ip

# The hit's keys as the ``pixel`` event's data names them.
HIT_KEYS = {"pixel_data": "data"}


@dataclass(frozen=True)
class HitResult:
    event: Event | None = None  # the profile's pixel event (a known profile)
    hit: AnonymousHit | None = None  # the stored hit (an anonymous visitor)
    joined: int = 0  # the visitor's earlier hits that joined the profile

    @property
    def anonymous(self):
        return self.event is None


def clean_anonymous_id(value, key="anonymous_id"):
    """Return the visitor id (None when not given); raise ValidationError naming ``key``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > ANONYMOUS_ID_MAX_LENGTH:
        raise ValidationError(
            {
                key: [
                    f"Enter the visitor's id as text of at most {ANONYMOUS_ID_MAX_LENGTH} "
                    "characters."
                ]
            }
        )
    try:
        validate_anonymous_id(value)
    except ValidationError as error:
        raise ValidationError({key: error.messages}) from None
    return value.strip()


def clean_value(value, goal):
    """Return the hit's value: the one sent (a number), else the goal's."""
    if value is None:
        return goal.value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValidationError({"value": ["Enter a number, e.g. 19.90."]})
    if isinstance(value, str):
        raise ValidationError({"value": ["Enter a number, e.g. 19.90 (not text)."]})
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({"value": ["Enter a finite number."]}) from None
    if not amount.is_finite() or abs(amount) > VALUE_LIMIT:
        raise ValidationError(
            {"value": [f"Enter a number between -{VALUE_LIMIT} and {VALUE_LIMIT}."]}
        )
    return amount


def check_hit(pixel, *, goal, value=None, url="", referrer="", ip=None, data=None):
    """Return the hit's ``pixel`` event data, checked; raise ValidationError naming the keys."""
    if not isinstance(goal, str) or not goal:
        raise ValidationError({"goal": ["Enter the name of one of the pixel's goals."]})
    found = next((g for g in pixel.goals.all() if g.name == goal), None)
    if found is None:
        names = ", ".join(g.name for g in pixel.goals.all()) or "none yet"
        raise ValidationError(
            {"goal": [f"Pixel “{pixel.name}” has no goal “{goal}” (its goals: {names})."]}
        )
    amount = clean_value(value, found)
    for key, given in (("url", url), ("referrer", referrer)):
        if given not in (None, "") and not isinstance(given, str):
            raise ValidationError({key: ["Enter the page's address as text, e.g. /checkout."]})
    if ip not in (None, ""):
        try:
            ip = clean_ip(ip)
        except ValidationError as error:
            raise ValidationError({"ip": error.messages}) from None
    raw = hit_event_data(pixel.pk, found.name, amount, url, referrer, ip, data)
    cleaned, errors = EVENT_TYPES_BY_SLUG["pixel"].clean_data(raw)
    if errors:
        if "" in errors:  # the whole data: too deep or too big, the pixel data's doing
            raise ValidationError({"data": errors[""]})
        raise ValidationError(
            {HIT_KEYS.get(key, key): messages for key, messages in errors.items()}
        )
    return cleaned, found, amount


@transaction.atomic
def record_hit(pixel, *, profile=None, anonymous_id=None, occurred_at=None, **hit):
    """Record a hit of ``pixel``: the profile's ``pixel`` event, or an anonymous visitor's
    stored hit. ``hit`` holds goal, value, url, referrer, ip and data (the raw pixel data).

    With both a profile and an anonymous id, the visitor is identified: the hit is the
    profile's, and the visitor's earlier anonymous hits join it too.
    """
    anonymous_id = clean_anonymous_id(anonymous_id)
    if profile is None and anonymous_id is None:
        raise ValidationError(
            {"profile_id": ["Enter the profile_id of a known visitor, or an anonymous_id."]}
        )
    if profile is not None and profile.database_id != pixel.database_id:
        raise ValidationError(
            {"profile_id": [f"The profile is not in the pixel's database “{pixel.database}”."]}
        )
    data, goal, amount = check_hit(pixel, **hit)
    occurred_at = occurred_at or timezone.now()
    if profile is None:
        stored = AnonymousHit.objects.create(
            pixel=pixel,
            anonymous_id=anonymous_id,
            goal=goal.name,
            value=amount,
            url=data.get("url", ""),
            referrer=data.get("referrer", ""),
            ip=data.get("ip"),
            data=data.get("pixel_data", {}),
            occurred_at=occurred_at,
        )
        return HitResult(hit=stored)
    joined = join_anonymous_hits(profile, anonymous_id) if anonymous_id else 0
    event = ingest_event(profile, "pixel", data, occurred_at)
    return HitResult(event=event, joined=joined)


@transaction.atomic
def join_anonymous_hits(profile, anonymous_id):
    """Turn the visitor's anonymous hits on the pixels of the profile's database into the
    profile's ``pixel`` events, at the times they happened; return how many joined.

    The hits are locked and deleted as they join: a visitor identified twice at once (a
    form and an import) joins each hit once.
    """
    if not anonymous_id:
        return 0
    hits = list(
        AnonymousHit.objects.select_for_update()
        .filter(anonymous_id=anonymous_id, pixel__database_id=profile.database_id)
        .order_by("occurred_at", "id")
    )
    if not hits:
        return 0
    Event.objects.bulk_create(
        Event(profile=profile, type="pixel", data=hit.event_data(), occurred_at=hit.occurred_at)
        for hit in hits
    )
    AnonymousHit.objects.filter(pk__in=[hit.pk for hit in hits]).delete()
    located = [hit for hit in hits if hit.ip]
    if located:
        latest = located[-1]
        update_location_from_ip(profile, latest.ip, occurred_at=latest.occurred_at)
    return len(hits)
