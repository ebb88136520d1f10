"""Writes of subscriptions, each with the history events it causes.

The values are checked once by ``subscriptions.models.check_new_subscription`` and
``check_subscription_change`` (a ValidationError keyed by model field names, nothing
written); these functions write what was checked, under the profile's row lock where a
limit is at stake, and record the events. The API, the pages and the admin all call them.
"""

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from core.races import LostRace, read_again
from core.status import Status
from history.services import record_event
from profiles.models import Profile
from subscriptions.models import (
    CHANNEL_LIMIT,
    DEVICE_FIELDS,
    PROFILE_LIMIT,
    UNSET,
    NewSubscription,
    Subscription,
    SubscriptionChange,
    check_new_subscription,
    check_subscription_change,
)

from .profiles import change_status, lock_profile

# The most suspensions one periodic run resumes; the next run takes the rest.
RESUME_CHUNK = 500


@dataclass
class Subscribed:
    """The result of ``subscribe``: the new subscription and those it replaced."""

    subscription: Subscription
    replaced: list = field(default_factory=list)


def subscribe(profile, new=None, **values):
    """Add a subscription, replacing old ones at a limit, and record it in history.

    Pass the values of ``check_new_subscription`` (checked here), or what it returned.
    At 20 stored subscriptions in the resource's channel (or 200 for the profile) the new
    one replaces old ones in the order of ``SubscriptionQuerySet.in_replacement_order``.
    The profile row is locked for the check and the write, so concurrent requests cannot
    pass a limit together.
    """
    new = new if isinstance(new, NewSubscription) else check_new_subscription(profile, **values)
    subscription = new.subscription
    resource, channel = subscription.resource, subscription.channel
    with transaction.atomic():
        # Lock the profile row: concurrent subscribes of one profile run one after another.
        lock_profile(profile.pk)
        same_channel = Subscription.all_objects.filter(
            profile=profile, resource=resource, channel=channel
        )
        if same_channel.live().filter(contact=subscription.contact).exists():
            raise ValidationError(
                {
                    "contact": [
                        f"This profile already has a subscription to {channel} of {resource} "
                        f"with {subscription.contact}."
                    ]
                }
            )
        replaced = _make_room(profile, same_channel, subscription)
        if not new.priority_given:
            subscription.priority = same_channel.live().new_priority(resource)
        subscription.save()
        subscription.categories.set(new.categories)
        record_event(profile, "subscribed", subscription.event_data(status=subscription.status))
    return Subscribed(subscription, replaced)


def _make_room(profile, same_channel, newcomer):
    """Hard-delete old subscriptions until the new one fits both limits; return them."""
    replaced = []
    for queryset, limit in (
        (same_channel, CHANNEL_LIMIT),
        (Subscription.all_objects.filter(profile=profile), PROFILE_LIMIT),
    ):
        excess = queryset.count() - limit + 1
        if excess <= 0:
            continue
        victims = list(
            queryset.in_replacement_order().select_related("resource", "channel")[:excess]
        )
        for victim in victims:
            data = victim.event_data(reason="replaced", replaced_by=newcomer.public_id)
            victim.delete()
            record_event(profile, "subscription_deleted", data)
        replaced.extend(victims)
    return replaced


def update_subscription(subscription, change=None, *, source="", **values):
    """Change a subscription's status, priority, categories, custom values or device fields.

    Pass the values of ``check_subscription_change`` (checked here), or what it returned.
    Only the fields asked for are written, to the row read under a lock (custom values
    merged into the ones held then). A status change (with ``source``, what caused it, if
    given), a change of categories and one of device or custom fields are recorded in history.
    """
    if not isinstance(change, SubscriptionChange):
        change = check_subscription_change(subscription, **values)
    with transaction.atomic():
        lock_profile(subscription.profile_id)
        stored = read_again(Subscription.all_objects.select_for_update(), pk=subscription.pk)
        if stored.is_deleted:
            raise ValidationError({NON_FIELD_ERRORS: ["This subscription was deleted."]})
        for model_field in Subscription._meta.concrete_fields:
            setattr(subscription, model_field.attname, getattr(stored, model_field.attname))
        before = subscription.status
        before_custom = dict(subscription.custom_values or {})
        changed = []
        for name, value in change.values.items():
            if name == "custom_values":
                value = value.applied_to(subscription.custom_values)
            if getattr(subscription, name) != value:
                setattr(subscription, name, value)
                changed.append(name)
        if changed:
            subscription.save(update_fields=[*changed, "updated_at"])
        _status_event(subscription, before, subscription.status, source)
        _fields_event(subscription, changed, before_custom)
        if change.categories is not UNSET:
            _set_categories(subscription, change.categories)
    return subscription


def _status_event(subscription, before, after, source=""):
    if before == after:
        return None
    return record_event(subscription.profile, *status_event(subscription, before, after, source))


def status_event(subscription, before, after, source=""):
    """Return (type, data) of the history event recording a change of status (a batch of
    reported events records them all in one insert)."""
    data = subscription.event_data(**{"from": before, "to": after})
    if source:
        data["source"] = source
    if after == Status.SUSPENDED and subscription.suspended_until:
        data["until"] = subscription.suspended_until.isoformat()
    if after == Status.SUBSCRIBED:
        return "subscribed", data
    if after == Status.UNSUBSCRIBED:
        return "unsubscribed", data
    return "subscription_status_changed", data


def _fields_event(subscription, changed, before_custom):
    """Record which device and custom fields a change set (names only: values may be long)."""
    names = [name for name in changed if name in DEVICE_FIELDS]
    if "custom_values" in changed:
        after = subscription.custom_values or {}
        names += sorted(
            f"custom_values.{key}"
            for key in before_custom.keys() | after.keys()
            if before_custom.get(key) != after.get(key)
        )
    if names:
        record_event(
            subscription.profile, "subscription_changed", subscription.event_data(fields=names)
        )


def resume_due(now=None):
    """Subscribe again the suspended subscriptions whose until-date has passed, each recorded
    in history as any status change. Periodic, on the worker; safe on several at once."""
    now = now or timezone.now()
    due = Subscription.objects.filter(status=Status.SUSPENDED, suspended_until__lte=now)
    resumed = []
    for pk in due.values_list("pk", flat=True)[:RESUME_CHUNK]:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update(skip_locked=True)
                .select_related("profile", "resource", "channel")
                .filter(pk=pk, status=Status.SUSPENDED, suspended_until__lte=now)
                .first()
            )
            if subscription is not None:
                update_subscription(subscription, status=Status.SUBSCRIBED, source="suspension_end")
                resumed.append(subscription)
    return resumed


def set_categories(subscription, categories):
    """Subscribe to exactly these categories (of the subscription's resource); record it."""
    return update_subscription(subscription, categories=categories)


def _set_categories(subscription, categories):
    before = {category.pk: category for category in subscription.categories.all()}
    after = {category.pk: category for category in categories}
    if before.keys() == after.keys():
        return
    subscription.categories.set(categories)
    record_event(
        subscription.profile,
        "subscription_categories_changed",
        subscription.event_data(
            subscribed=sorted(after[pk].name for pk in after.keys() - before.keys()),
            unsubscribed=sorted(before[pk].name for pk in before.keys() - after.keys()),
        ),
    )
    if hasattr(subscription, "_prefetched_objects_cache"):
        subscription._prefetched_objects_cache.pop("categories", None)


def set_status(subscription, status):
    """Set a subscription's status and record the change (unsubscribe links call this too)."""
    if subscription.status == status:
        return subscription
    return update_subscription(subscription, status=status)


@transaction.atomic
def delete_subscription(subscription):
    """Mark the subscription deleted (kept until a limit needs its place) and record it."""
    lock_profile(subscription.profile_id)
    stored = read_again(Subscription.all_objects.select_for_update(), pk=subscription.pk)
    if stored.is_deleted:  # by another request meanwhile: nothing more to record
        subscription.deleted_at = stored.deleted_at
    if subscription.is_deleted:
        return subscription
    subscription.deleted_at = timezone.now()
    subscription.save(update_fields=["deleted_at", "updated_at"])
    record_event(
        subscription.profile, "subscription_deleted", subscription.event_data(reason="deleted")
    )
    return subscription


@transaction.atomic
def confirm(profile, subscription=None):
    """Double opt-in: an unconfirmed subscription, and an unconfirmed profile, become subscribed.

    The one implementation, whether the subscriber opened the signed link or an
    integration reported the confirmation click. Any other status is left alone: an old
    link cannot undo a later unsubscribe. Return True when the subscription was unconfirmed.
    """
    confirmed = subscription is not None and subscription.status == Status.UNCONFIRMED
    if confirmed:
        update_subscription(subscription, status=Status.SUBSCRIBED)
    if profile.status == Status.UNCONFIRMED:
        change_status(profile, Status.SUBSCRIBED, source="confirmation")
    return confirmed


class ConfirmationRefused(Exception):
    """A double opt-in link that is tampered with, expired or names no live subscription."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


@transaction.atomic
def open_confirmation_link(token, *, url=""):
    """Record the click on a double opt-in link and confirm its subscription.

    Return (subscription, confirmed). Raise ConfirmationRefused for a tampered or
    expired link, or one whose subscription is gone (also when it, or its profile, is
    deleted while the link is being opened).
    """
    gone = ConfirmationRefused(
        "gone", "The subscription of this confirmation link no longer exists."
    )
    try:
        subscription = Subscription.from_confirmation_token(token)
        # The profile first, as its delete takes it (change_status will write it), then
        # both read as they are now: the link may be opened as either changes.
        profile = read_again(Profile.objects.select_for_update(), pk=subscription.profile_id)
        stored = read_again(Subscription.all_objects.select_for_update(), pk=subscription.pk)
    except signing.SignatureExpired:
        raise ConfirmationRefused("expired", "This confirmation link has expired.") from None
    except signing.BadSignature:
        raise ConfirmationRefused("invalid", "This confirmation link is not valid.") from None
    except (Subscription.DoesNotExist, LostRace):
        raise gone from None
    if stored.is_deleted:
        raise gone
    subscription.profile, subscription.status = profile, stored.status
    data = subscription.event_data(url=url) if url else subscription.event_data()
    record_event(subscription.profile, "confirmation_click", data)
    return subscription, confirm(subscription.profile, subscription)
