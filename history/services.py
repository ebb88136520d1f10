"""Recording events, and ingesting the events integrations report with their side effects.

``record_event`` writes one event for a change the product already made (a status
change, a subscription): no side effects. ``ingest_event`` and ``ingest_events`` take an
action reported from outside (a mail server's bounce, a click) and apply what it means
for the profile through ``apply_effects`` — the one place those side effects live:

- ``hard_bounce``: the profile's status becomes hard_bounced and its address is suppressed
  (the subscription it names too: status hard_bounced, an email contact suppressed);
- ``complaint``: the profile's status becomes complainer (and the subscription it names);
- ``unsubscribe_click`` naming a subscription: that subscription is unsubscribed;
- ``confirmation_click``: double opt-in, an unconfirmed profile (and the unconfirmed
  subscription it names) becomes subscribed;
- ``click`` carrying UTM tags: the profile's utm_* fields take the link's tags.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Event
from .types import EVENT_TYPES_BY_SLUG, IMPORT_SOURCES

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
UNSET = object()
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
#
# Each effect gets the event (its profile loaded) and the live subscription the event's
# data names (checked to be the profile's during validation), or None.


def _set_profile_status(event, status):
    from profiles.services import change_status

    if event.profile.status != status:
        change_status(event.profile, status, source=event.type)


def _set_subscription_status(subscription, status):
    from subscriptions.services import set_status

    if subscription is not None and subscription.status != status:
        set_status(subscription, status)


def _hard_bounce(event, subscription):
    from profiles.models import Status
    from subscriptions.models import ContactKind, SuppressedAddress

    profile = event.profile
    if profile.status == Status.HARD_BOUNCED:
        # Already hard bounced: a new bounce suppresses the address again if it was lifted.
        SuppressedAddress.objects.suppress(profile.email, reason="hard_bounced", profile=profile)
    _set_profile_status(event, Status.HARD_BOUNCED)
    _set_subscription_status(subscription, Status.HARD_BOUNCED)
    if subscription is not None and subscription.channel.contact_kind == ContactKind.EMAIL:
        SuppressedAddress.objects.suppress(
            subscription.contact, reason="hard_bounced", profile=profile
        )


def _complaint(event, subscription):
    from profiles.models import Status

    _set_profile_status(event, Status.COMPLAINER)
    _set_subscription_status(subscription, Status.COMPLAINER)


def _confirmation_click(event, subscription):
    from profiles.models import Status
    from subscriptions.services import confirm_subscription

    if subscription is not None:
        confirm_subscription(subscription)
    if event.profile.status == Status.UNCONFIRMED:
        _set_profile_status(event, Status.SUBSCRIBED)


def _unsubscribe_click(event, subscription):
    from profiles.models import Status

    _set_subscription_status(subscription, Status.UNSUBSCRIBED)


def click_utm(data):
    """Return the UTM tags a click carries: its utm_* keys, else the URL's utm_* parameters."""
    tags = {tag: data[tag] for tag in UTM_TAGS if data.get(tag)}
    if not tags and data.get("url"):
        query = parse_qs(urlsplit(data["url"]).query)
        tags = {tag: query[tag][0][:200] for tag in UTM_TAGS if query.get(tag, [""])[0]}
    return tags


def _click(event, subscription):
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


def named_subscription(profile, data):
    """Return the profile's live subscription the event data names, or None if none named.

    Raise ValidationError (keyed ``subscription``) when it names no such subscription.
    """
    public_id = (data or {}).get("subscription")
    if public_id is None:
        return None
    from subscriptions.models import Subscription

    subscription = (
        Subscription.objects.select_related("profile", "resource", "channel")
        .filter(profile=profile, public_id=str(public_id))
        .first()
    )
    if subscription is None:
        raise ValidationError({"subscription": f"This profile has no subscription “{public_id}”."})
    subscription.profile = profile
    return subscription


def apply_effects(event, subscription=UNSET):
    """Apply what a reported event means for its profile (see the module docstring)."""
    effect = EFFECTS.get(event.type)
    if effect:
        if subscription is UNSET:
            subscription = named_subscription(event.profile, event.data)
        effect(event, subscription)


def ingest_event(profile, type, data=None, occurred_at=None):
    """Record an action reported from outside the product and apply its side effects.

    Raise ValidationError (nothing saved) when the data names a subscription the profile
    does not have.
    """
    subscription = named_subscription(profile, data) if type in EFFECTS else None
    with transaction.atomic():
        event = record_event(profile, type, data, occurred_at)
        apply_effects(event, subscription)
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
        subscription = None
        if values["type"] in EFFECTS:
            try:
                subscription = named_subscription(profile, values["data"])
            except ValidationError as error:
                outcome.errors = {"data": error.message_dict}
                continue
        outcome.event = Event(
            profile=profile,
            type=values["type"],
            occurred_at=values["occurred_at"],
            data=values["data"],
        )
        if values["type"] in EFFECTS:
            effectful.append((outcome.event, subscription))
        else:
            plain.append(outcome.event)
    with transaction.atomic():
        Event.objects.bulk_create(plain)
        for event, subscription in sorted(effectful, key=lambda pair: pair[0].occurred_at):
            event.save()
            apply_effects(event, subscription)
    return outcomes
