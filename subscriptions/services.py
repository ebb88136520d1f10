"""Writes to subscriptions that also record history: one place for the API, pages, admin, import.

Every function validates its input completely before it writes: a bad value raises a
``ValidationError`` whose keys are the API's field names (``resource``, ``channel``,
``contact``, ``status``, ``priority``, ``categories``, ``fields`` or a device field) and
nothing is saved.
"""

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from history.services import record_event
from profiles.fieldtypes import clean_number
from profiles.models import Profile, Status

from .models import (
    CHANNEL_LIMIT,
    DEVICE_FIELDS,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PROFILE_LIMIT,
    Channel,
    Resource,
    Subscription,
)

UNSET = object()
# Model field names that the API calls otherwise.
API_NAMES = {"custom_values": "fields"}
REGISTRATION_FIELDS = ["reg_date", "reg_ip", "reg_source"]


@dataclass
class Subscribed:
    """The result of ``subscribe``: the new subscription and those it replaced."""

    subscription: Subscription
    replaced: list = field(default_factory=list)


def _api_errors(error):
    if not hasattr(error, "error_dict"):
        return ValidationError({"non_field_errors": error.messages})
    return ValidationError(
        {API_NAMES.get(key, key): messages for key, messages in error.message_dict.items()}
    )


def clean_status(value):
    if value not in Status.values:
        raise ValidationError(
            f"Unknown status “{value}”. Enter one of: {', '.join(Status.values)}."
        )
    return Status(value)


def clean_priority(value):
    """Return the priority as a whole number in range; "5" is accepted, 5.5 and "x" are not."""
    try:
        value = clean_number(value)
    except ValidationError:
        raise ValidationError(
            f"Enter the priority as a whole number, e.g. 0 or 10 (got “{value}”)."
        ) from None
    if not PRIORITY_MIN <= value <= PRIORITY_MAX:
        raise ValidationError(f"Enter a priority between {PRIORITY_MIN} and {PRIORITY_MAX}.")
    return value


def _clean_categories(resource, categories):
    ids = [getattr(category, "pk", category) for category in categories]
    return resource.clean_category_ids(ids)


def _clean_field_values(resource, values, *, current=None, partial=False):
    cleaned, errors = resource.clean_field_values(values, partial=partial, current=current)
    if errors:
        raise ValidationError([m for messages in errors.values() for m in messages])
    return cleaned


def _collect(errors, key, func, *args, **kwargs):
    """Call func; on a ValidationError file its messages under key and return UNSET."""
    try:
        return func(*args, **kwargs)
    except ValidationError as error:
        errors[key] = error.messages
        return UNSET


def _status_event(subscription, before, after):
    if before == after:
        return None
    data = subscription.event_data(**{"from": before, "to": after})
    if after == Status.SUBSCRIBED:
        return record_event(subscription.profile, "subscribed", data)
    if after == Status.UNSUBSCRIBED:
        return record_event(subscription.profile, "unsubscribed", data)
    return record_event(subscription.profile, "subscription_status_changed", data)


def subscribe(
    profile,
    *,
    resource,
    channel,
    contact,
    status=None,
    priority=None,
    categories=(),
    fields=None,
    device=None,
    registration=None,
):
    """Add a subscription, replacing an old one at a limit, and record it in history.

    ``priority`` None means "not given": with the resource's "increase priority for
    new subscriptions" the new one gets the top priority of its channel and the others
    move down one step; otherwise it goes below the others. A given priority leaves the
    others unchanged. At 20 stored subscriptions in the resource's channel (or 200 for
    the profile) the new one replaces old ones in the order of
    ``SubscriptionQuerySet.in_replacement_order``. The profile row is locked for the
    check and the write, so concurrent requests cannot pass a limit together.
    """
    errors = {}
    if not isinstance(resource, Resource):
        errors["resource"] = ["Choose a resource."]
    if not isinstance(channel, Channel):
        errors["channel"] = ["Choose a channel."]
    status = (
        Status.SUBSCRIBED
        if status in (None, "")
        else _collect(errors, "status", clean_status, status)
    )
    if priority is not None and priority != "":
        priority = _collect(errors, "priority", clean_priority, priority)
    else:
        priority = None
    device = dict(device or {})
    unknown = sorted(set(device) - set(DEVICE_FIELDS))
    if unknown:
        errors["device"] = [f"Unknown device field: {', '.join(unknown)}."]
    registration = dict(registration or {})
    if errors.get("resource"):
        raise ValidationError(errors)
    cleaned_categories = _collect(errors, "categories", _clean_categories, resource, categories)
    cleaned_fields = _collect(errors, "fields", _clean_field_values, resource, fields or {})

    subscription = Subscription(
        profile=profile,
        resource=resource,
        channel=channel if isinstance(channel, Channel) else None,
        contact=contact if isinstance(contact, str) else "",
        status=status if status is not UNSET else Status.SUBSCRIBED,
        priority=priority if isinstance(priority, int) else 0,
        custom_values=cleaned_fields if cleaned_fields is not UNSET else {},
        reg_date=timezone.now(),
        **{name: value for name, value in device.items() if name in DEVICE_FIELDS},
    )
    for name in REGISTRATION_FIELDS:
        if registration.get(name) not in (None, ""):
            setattr(subscription, name, registration[name])
    if not isinstance(contact, str):
        errors["contact"] = ["Enter the contact data as text."]
    try:
        subscription.full_clean(
            exclude=["profile"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for key, messages in _api_errors(error).message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Lock the profile row: concurrent subscribes of one profile run one after another.
        list(Profile.objects.select_for_update().filter(pk=profile.pk).values_list("pk"))
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
        if priority is None:
            subscription.priority = _new_priority(resource, same_channel.live())
        subscription.save()
        subscription.categories.set(cleaned_categories)
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


def _new_priority(resource, live_same_channel):
    """Return the priority of a new subscription given without one (see ``subscribe``)."""
    if resource.increase_priority_for_new:
        top = live_same_channel.aggregate(top=Min("priority"))["top"]
        for other in live_same_channel.filter(priority__lt=PRIORITY_MAX):
            other.priority += 1
            other.save(update_fields=["priority", "updated_at"])
        return 0 if top is None else top
    bottom = live_same_channel.aggregate(bottom=Max("priority"))["bottom"]
    return 0 if bottom is None else min(bottom + 1, PRIORITY_MAX)


def update_subscription(
    subscription, *, status=UNSET, priority=UNSET, categories=UNSET, fields=UNSET, device=UNSET
):
    """Change a subscription's status, priority, categories, fields or device fields.

    ``fields`` is merged into the current values (None or "" removes one). A status
    change and a change of categories are recorded in history.
    """
    if subscription.is_deleted:
        raise ValidationError({"non_field_errors": ["This subscription was deleted."]})
    errors = {}
    resource = subscription.resource
    if status is not UNSET:
        status = _collect(errors, "status", clean_status, status)
    if priority is not UNSET:
        priority = _collect(errors, "priority", clean_priority, priority)
    if categories is not UNSET:
        categories = _collect(errors, "categories", _clean_categories, resource, categories)
    if fields is not UNSET:
        fields = _collect(
            errors,
            "fields",
            _clean_field_values,
            resource,
            fields,
            current=subscription.custom_values,
            partial=True,
        )
    device = {} if device is UNSET else dict(device)
    unknown = sorted(set(device) - set(DEVICE_FIELDS))
    if unknown:
        errors["device"] = [f"Unknown device field: {', '.join(unknown)}."]
    if errors:
        raise ValidationError(errors)

    before_status = subscription.status
    changed = ["updated_at"]
    if status is not UNSET:
        subscription.status = status
        changed.append("status")
    if priority is not UNSET:
        subscription.priority = priority
        changed.append("priority")
    if fields is not UNSET:
        subscription.custom_values = fields
        changed.append("custom_values")
    for name, value in device.items():
        setattr(subscription, name, value)
        changed.append(name)
    try:
        # Field checks only: the contact, resource and channel do not change here.
        subscription.clean_fields(exclude=["profile", "contact", "resource", "channel"])
    except ValidationError as error:
        subscription.refresh_from_db()
        raise _api_errors(error) from None

    with transaction.atomic():
        subscription.save(update_fields=changed)
        _status_event(subscription, before_status, subscription.status)
        if categories is not UNSET:
            set_categories(subscription, categories)
    return subscription


def set_categories(subscription, categories):
    """Subscribe to exactly these categories (of the subscription's resource); record it."""
    categories = _clean_categories(subscription.resource, categories)
    before = {category.pk: category for category in subscription.categories.all()}
    after = {category.pk: category for category in categories}
    if before.keys() == after.keys():
        return subscription
    with transaction.atomic():
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
    return subscription


def set_status(subscription, status):
    """Set a subscription's status and record the change (unsubscribe links call this too)."""
    return update_subscription(subscription, status=status)


@transaction.atomic
def delete_subscription(subscription):
    """Mark the subscription deleted (kept until a limit needs its place) and record it."""
    if subscription.is_deleted:
        return subscription
    subscription.deleted_at = timezone.now()
    subscription.save(update_fields=["deleted_at", "updated_at"])
    record_event(
        subscription.profile, "subscription_deleted", subscription.event_data(reason="deleted")
    )
    return subscription


def confirm_subscription(subscription):
    """Double opt-in: an unconfirmed subscription (and an unconfirmed profile) becomes subscribed.

    Return True when the subscription was unconfirmed. Any other status is left alone:
    an old link cannot undo a later unsubscribe.
    """
    from profiles.services import change_status

    if subscription.status != Status.UNCONFIRMED:
        return False
    with transaction.atomic():
        update_subscription(subscription, status=Status.SUBSCRIBED)
        profile = subscription.profile
        if profile.status == Status.UNCONFIRMED:
            change_status(profile, Status.SUBSCRIBED, source="confirmation")
    return True


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
    expired link, or one whose subscription is gone.
    """
    try:
        subscription = Subscription.from_confirmation_token(token)
    except signing.SignatureExpired:
        raise ConfirmationRefused("expired", "This confirmation link has expired.") from None
    except signing.BadSignature:
        raise ConfirmationRefused("invalid", "This confirmation link is not valid.") from None
    except Subscription.DoesNotExist:
        raise ConfirmationRefused(
            "gone", "The subscription of this confirmation link no longer exists."
        ) from None
    data = subscription.event_data(url=url) if url else subscription.event_data()
    record_event(subscription.profile, "confirmation_click", data)
    return subscription, confirm_subscription(subscription)
