"""Events reported from outside the product, recorded with what they mean for the profile.

``history.services.record_event`` writes an event for a change the product made itself.
An action reported by an integration (a mail server's bounce, a click) also has
consequences, applied here — the one place each lives, calling the operation that owns
the change:

- ``hard_bounce``: the profile's status becomes hard_bounced and its address is suppressed
  (the subscription it names too: status hard_bounced, an email contact suppressed);
- ``complaint``: the profile's status becomes complainer (and the subscription it names);
- ``unsubscribe_click`` naming a subscription: that subscription is unsubscribed;
- ``confirmation_click``: double opt-in (``operations.subscriptions.confirm``);
- ``click`` carrying UTM tags: the profile's utm_* fields take the link's tags;
- any event whose data carries an ``ip``: the profile's Tracked location follows it
  (``operations.location``).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.status import Status
from history.models import Event
from history.reports import UTM_TAGS, clean_reported_event, click_utm
from history.services import record_event
from profiles.models import Profile
from subscriptions.models import ContactKind, Subscription, SuppressedAddress

from .location import locate_from_event
from .profiles import change_status, suppress_address
from .subscriptions import confirm, set_status

UNSET = object()


# Each effect gets the event (its profile loaded) and the live subscription the event's
# data names (checked to be the profile's during validation), or None.


def _set_profile_status(event, status):
    if event.profile.status != status:
        change_status(event.profile, status, source=event.type)


def _set_subscription_status(subscription, status):
    if subscription is not None:
        set_status(subscription, status)


def _hard_bounce(event, subscription):
    profile = event.profile
    if profile.status == Status.HARD_BOUNCED:
        # Already hard bounced: a new bounce suppresses the address again if it was lifted.
        suppress_address(profile)
    _set_profile_status(event, Status.HARD_BOUNCED)
    _set_subscription_status(subscription, Status.HARD_BOUNCED)
    if subscription is not None and subscription.channel.contact_kind == ContactKind.EMAIL:
        SuppressedAddress.objects.suppress(
            subscription.contact, reason="hard_bounced", profile=profile
        )


def _complaint(event, subscription):
    _set_profile_status(event, Status.COMPLAINER)
    _set_subscription_status(subscription, Status.COMPLAINER)


def _confirmation_click(event, subscription):
    confirm(event.profile, subscription)


def _unsubscribe_click(event, subscription):
    _set_subscription_status(subscription, Status.UNSUBSCRIBED)


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
    locate_from_event(event)


def has_effects(type, data):
    """Whether an event of this type and data changes more than the history."""
    return type in EFFECTS or (isinstance(data, dict) and bool(data.get("ip")))


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


def ingest_events(user, items):
    """Validate and record reported events; return one Outcome per item, in order.

    Good events are kept whatever happens to the bad ones. Events without side effects
    are written in one insert; the others are applied one by one, oldest first.
    """
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
        if has_effects(values["type"], values["data"]):
            effectful.append((outcome.event, subscription))
        else:
            plain.append(outcome.event)
    with transaction.atomic():
        Event.objects.bulk_create(plain)
        for event, subscription in sorted(effectful, key=lambda pair: pair[0].occurred_at):
            event.save()
            apply_effects(event, subscription)
    return outcomes
