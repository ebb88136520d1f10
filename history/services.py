"""Recording events, and ingesting the events integrations report with their side effects.

``record_event`` writes one event for a change the product already made (a status
change, a subscription): no side effects. ``ingest_event`` and ``ingest_events`` take an
action reported from outside (a mail server's bounce, a click) and apply what it means
for the profile through ``apply_effects`` — the one place those side effects live:

- ``hard_bounce``: the profile's status becomes hard_bounced, its address is suppressed;
- ``complaint``: the profile's status becomes complainer;
- ``unsubscribe_click`` naming a subscription: that subscription is unsubscribed;
- ``confirmation_click``: double opt-in, an unconfirmed profile becomes subscribed;
- ``click`` carrying UTM tags: the profile's utm_* fields take the link's tags.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.utils import timezone

from .models import Event
from .types import EVENT_TYPES_BY_SLUG, IMPORT_SOURCES

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def record_event(profile, type, data=None, occurred_at=None):
    """Record one action in the profile's history and return the event."""
    return Event.objects.create(
        profile=profile, type=type, data=data or {}, occurred_at=occurred_at or timezone.now()
    )


def record_import(profile, source):
    """Record how the profile came into its database (manual, api, file, push)."""
    return record_event(profile, IMPORT_SOURCES[source], {"source": source})


# -- Side effects of reported events ------------------------------------------------------


def _hard_bounce(event):
    from profiles.models import Status
    from profiles.services import change_status
    from subscriptions.models import SuppressedAddress

    profile = event.profile
    if profile.status != Status.HARD_BOUNCED:
        change_status(profile, Status.HARD_BOUNCED, source=event.type)
    else:
        # Already hard bounced: a new bounce suppresses the address again if it was lifted.
        SuppressedAddress.objects.suppress(profile.email, reason="hard_bounced", profile=profile)


def _complaint(event):
    from profiles.models import Status
    from profiles.services import change_status

    if event.profile.status != Status.COMPLAINER:
        change_status(event.profile, Status.COMPLAINER, source=event.type)


def _confirmation_click(event):
    from profiles.models import Status
    from profiles.services import change_status

    if event.profile.status == Status.UNCONFIRMED:
        change_status(event.profile, Status.SUBSCRIBED, source=event.type)


def _unsubscribe_click(event):
    subscription = event.data.get("subscription")
    if subscription is not None:
        from subscriptions import services as subscription_services

        subscription_services.unsubscribe_by_event(event.profile, subscription)


def click_utm(data):
    """Return the UTM tags a click carries: its utm_* keys, else the URL's utm_* parameters."""
    tags = {tag: data[tag] for tag in UTM_TAGS if data.get(tag)}
    if not tags and data.get("url"):
        query = parse_qs(urlsplit(data["url"]).query)
        tags = {tag: query[tag][0][:200] for tag in UTM_TAGS if query.get(tag, [""])[0]}
    return tags


def _click(event):
    tags = click_utm(event.data)
    if not tags:
        return
    profile = event.profile
    # The latest tagged click defines all five tags: the ones it lacks are cleared.
    for tag in UTM_TAGS:
        setattr(profile, tag, tags.get(tag, "")[:200])
    profile.save(update_fields=[*UTM_TAGS, "updated_at"])


EFFECTS = {
    "hard_bounce": _hard_bounce,
    "complaint": _complaint,
    "confirmation_click": _confirmation_click,
    "unsubscribe_click": _unsubscribe_click,
    "click": _click,
}


def apply_effects(event):
    """Apply what a reported event means for its profile (see the module docstring)."""
    effect = EFFECTS.get(event.type)
    if effect:
        effect(event)


def ingest_event(profile, type, data=None, occurred_at=None):
    """Record an action reported from outside the product and apply its side effects."""
    with transaction.atomic():
        event = record_event(profile, type, data, occurred_at)
        apply_effects(event)
    return event


# -- Ingestion of a batch ------------------------------------------------------------------


@dataclass
class Outcome:
    """The answer for one reported event: the event created, or the errors by field."""

    index: int
    event: Event | None = None
    errors: dict = field(default_factory=dict)

    @property
    def status(self):
        return "error" if self.errors else "created"


def clean_reported_event(item, now):
    """Check one reported event's fields; return (values, errors by field)."""
    from history.filters import parse_moment

    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["Enter an event as an object."]}
    errors, values = {}, {}
    profile_id = item.get("profile_id")
    if not isinstance(profile_id, str) or not profile_id.strip():
        errors["profile_id"] = ["Enter the profile_id of the profile the event belongs to."]
    else:
        values["profile_id"] = profile_id.strip().lower()
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
    if occurred_at in (None, ""):
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
    unknown = sorted(set(item) - {"profile_id", "type", "occurred_at", "data"})
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
    return values, errors


def _check_references(profile, values):
    """Return errors for data that names something the side effect cannot find."""
    subscription = values["data"].get("subscription")
    if values["type"] == "unsubscribe_click" and subscription is not None:
        from subscriptions.models import Subscription

        if not Subscription.objects.filter(profile=profile, public_id=subscription).exists():
            return {
                "data": {"subscription": [f"This profile has no subscription “{subscription}”."]}
            }
    return {}


def ingest_events(user, items):
    """Validate and record reported events; return one Outcome per item, in order.

    Good events are kept whatever happens to the bad ones. Events without side effects
    are written in one insert; the others are applied one by one, oldest first.
    """
    from profiles.models import Profile

    now = timezone.now()
    outcomes, pending = [], []
    for index, item in enumerate(items):
        values, errors = clean_reported_event(item, now)
        outcomes.append(Outcome(index, errors=errors))
        if not errors:
            pending.append((outcomes[-1], values))
    ids = {values["profile_id"] for _, values in pending}
    profiles = {
        profile.profile_id: profile
        for profile in Profile.objects.visible_to(user).filter(profile_id__in=ids)
    }
    plain, effectful = [], []
    for outcome, values in pending:
        profile = profiles.get(values["profile_id"])
        if profile is None:
            outcome.errors = {"profile_id": [f"Unknown profile “{values['profile_id']}”."]}
            continue
        outcome.errors = _check_references(profile, values)
        if outcome.errors:
            continue
        outcome.event = Event(
            profile=profile,
            type=values["type"],
            occurred_at=values["occurred_at"],
            data=values["data"],
        )
        (effectful if values["type"] in EFFECTS else plain).append(outcome.event)
    with transaction.atomic():
        Event.objects.bulk_create(plain)
        for event in sorted(effectful, key=lambda event: event.occurred_at):
            event.save()
            apply_effects(event)
    return outcomes
