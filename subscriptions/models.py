"""Resources, channels, categories and subscriptions, and the rules that bind them.

The rules (contact data per channel, priority, the 200/20 limits and the replacement
order, delivery resolution, the double opt-in link) live here, on the models and their
querysets; ``operations.subscriptions`` makes the writes, which also record history.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Case, IntegerField, Max, Min, Q, Value, When
from django.db.models.fields.json import KeyTransform
from django.urls import reverse
from django.utils import timezone

from core import scoping
from core.fieldtypes import clean_number, is_empty
from core.status import Status
from core.text import (
    check_text,
    language_validator,
    normalize_email,
    normalize_phone,
    validate_text,
    validate_timezone,
    whole_number,
)
from core.typedfields import TypedField, check_change, keyed_errors

# -- Suppression list --------------------------------------------------------------------


class SuppressedAddressQuerySet(models.QuerySet):
    def suppress(self, address, *, reason, profile=None):
        """Put the address on the global suppression list (once) and return the entry."""
        entry, _ = self.get_or_create(
            address=normalize_email(address),
            defaults={"reason": reason, "profile_id": profile.profile_id if profile else ""},
        )
        return entry

    def suppress_many(self, addresses, *, reason):
        """Put addresses on the list as ``suppress`` does one by one, in one insert.

        ``addresses``: [(address, profile or None)], in order: an address already on the
        list keeps its entry, and the first pair naming a new one makes it.
        """
        entries = {}
        for address, profile in addresses:
            entries.setdefault(normalize_email(address), profile.profile_id if profile else "")
        self.bulk_create(
            (
                self.model(address=address, reason=reason, profile_id=profile_id)
                for address, profile_id in entries.items()
            ),
            ignore_conflicts=True,
        )

    def is_suppressed(self, address):
        return self.filter(address=normalize_email(address)).exists()

    def among(self, addresses):
        """Return the set of these addresses that are on the list (one query)."""
        wanted = {normalize_email(address) for address in addresses}
        return set(self.filter(address__in=wanted).values_list("address", flat=True))


class SuppressedAddress(models.Model):
    """An address nothing is sent to, whatever the subscriptions say (the suppression list)."""

    class Reason(models.TextChoices):
        HARD_BOUNCED = "hard_bounced", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"
        MANUAL = "manual", "Added by hand"

    address = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    profile_id = models.CharField(
        max_length=24, blank=True, help_text="The profile whose event suppressed the address."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressedAddressQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "suppressed addresses"
        indexes = [
            # A profile's own entries (its personal-data export): not a scan of the list.
            models.Index(fields=["profile_id"], name="suppressed_profile"),
        ]

    def __str__(self):
        return self.address


# -- Channels ----------------------------------------------------------------------------

TELEGRAM_USERNAME_RE = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{4,31}$")
TELEGRAM_CHAT_ID_RE = re.compile(r"^-?\d{1,20}$")
CONTACT_MAX_LENGTH = 1024


class ContactKind(models.TextChoices):
    """What the contact data of a channel is, and so how it is validated."""

    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number (E.164)"
    TELEGRAM = "telegram", "Phone number (E.164), @username or chat id"
    TOKEN = "token", "Device token"
    IDENTIFIER = "identifier", "Identifier"


def _single_token(value, what):
    value = value.strip()
    if not value:
        raise ValidationError(f"Enter the {what}.")
    if len(value) > CONTACT_MAX_LENGTH:
        raise ValidationError(f"The {what} has at most {CONTACT_MAX_LENGTH} characters.")
    if any(char.isspace() for char in value):
        raise ValidationError(f"The {what} cannot contain spaces.")
    return check_text(value)


def clean_contact(kind, value):
    """Return the contact data normalised for a channel of this kind, or raise."""
    if not isinstance(value, str):
        raise ValidationError("Enter the contact data as text.")
    if kind == ContactKind.EMAIL:
        address = normalize_email(value)
        if not address:
            raise ValidationError("Enter an email address.")
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                f"Enter a valid email address, e.g. name@example.com (got “{value}”)."
            ) from None
        return address
    if kind == ContactKind.PHONE:
        return normalize_phone(value.strip())
    if kind == ContactKind.TELEGRAM:
        text = value.strip()
        if text.startswith("+"):
            return normalize_phone(text)
        if TELEGRAM_USERNAME_RE.match(text):
            return "@" + text.lstrip("@")
        if TELEGRAM_CHAT_ID_RE.match(text):
            return text
        raise ValidationError(
            "Enter a phone in international format (+14155550123), a @username "
            f"or a numeric chat id (got “{value}”)."
        )
    if kind == ContactKind.TOKEN:
        return _single_token(value, "device token")
    return _single_token(value, "identifier")


# (slug, name, contact kind), created by ``apps.create_builtin_channels`` after migrate.
BUILTIN_CHANNELS = [
    ("email", "Email", ContactKind.EMAIL),
    ("sms", "SMS", ContactKind.PHONE),
    ("push", "Push", ContactKind.TOKEN),
    ("telegram", "Telegram", ContactKind.TELEGRAM),
    ("whatsapp", "WhatsApp", ContactKind.PHONE),
    ("notify", "Notify", ContactKind.IDENTIFIER),
    ("max", "MAX", ContactKind.IDENTIFIER),
]


class Channel(models.Model):
    """A way to reach a subscriber: built-in (email, sms, push…) or a custom one."""

    name = models.CharField(max_length=100, unique=True, validators=[validate_text])
    slug = models.SlugField(max_length=50, unique=True)
    contact_kind = models.CharField(
        max_length=12,
        choices=ContactKind.choices,
        default=ContactKind.IDENTIFIER,
        help_text="How the contact data of this channel is validated.",
    )
    builtin = models.BooleanField(default=False, editable=False)
    position = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def clean_contact(self, value):
        """Return the contact data normalised for this channel, or raise ValidationError."""
        return clean_contact(self.contact_kind, value)


# -- Resources ---------------------------------------------------------------------------


class Resource(models.Model):
    """A source of subscriptions (a website, an app): its channels, categories and fields."""

    name = models.CharField(max_length=200, unique=True, validators=[validate_text])
    channels = models.ManyToManyField(
        Channel, blank=True, related_name="resources", help_text="The channels enabled."
    )
    increase_priority_for_new = models.BooleanField(
        "increase priority for new subscriptions",
        default=False,
        help_text=(
            "A new subscription added without an explicit priority gets the top priority "
            "and the existing ones of its channel move down."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def check_custom_values(self, values, *, current=None):
        """Return (``ValuesChange``, errors by field name) for custom subscription values of
        this resource's fields (``core.typedfields.check_change``)."""
        return check_change(
            self.fields.all(), values, current=current, owner=f"resource “{self.name}”"
        )

    def clean_category_ids(self, ids):
        """Return this resource's categories with these ids; any other id is an error."""
        if not isinstance(ids, (list, tuple, set)):
            raise ValidationError("Enter the categories as a list of category ids.")
        wanted = []
        for value in ids:
            if isinstance(value, bool) or not isinstance(value, int):
                number = whole_number(value.strip()) if isinstance(value, str) else None
                if number is None:
                    raise ValidationError(f"“{value}” is not a category id.")
                value = number
            wanted.append(value)
        found = {category.pk: category for category in self.categories.filter(pk__in=wanted)}
        missing = [str(pk) for pk in wanted if pk not in found]
        if missing:
            raise ValidationError(
                f"Unknown category {', '.join(missing)} for resource “{self.name}”."
            )
        return list(found.values())


class Category(models.Model):
    """A topic of a resource's messages; a subscription is subscribed to it or not."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=200, validators=[validate_text])

    class Meta:
        ordering = ["resource", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["resource", "name"], name="unique_category_name")
        ]

    def __str__(self):
        return f"{self.resource}: {self.name}"


class SubscriptionField(TypedField):
    """A custom subscription field of a resource, typed like a custom profile field."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="fields")

    class Meta:
        ordering = ["resource", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "name"], name="unique_field_per_resource")
        ]

    def __str__(self):
        return f"{self.resource}: {self.name} ({self.get_type_display()})"

    def holders(self, values=None):
        """Return the subscriptions of this field's resource holding a value for it (or one
        of ``values``), the deleted ones included: they may come back into view."""
        subscriptions = Subscription.all_objects.filter(resource_id=self.resource_id)
        if values is None:
            return subscriptions.filter(custom_values__has_key=self.name)
        return subscriptions.alias(value=KeyTransform(self.name, "custom_values")).filter(
            value__in=list(values)
        )


# -- Subscriptions -----------------------------------------------------------------------

PROFILE_LIMIT = 200
CHANNEL_LIMIT = 20
# Replaced before the others when a limit is reached (after the deleted ones).
REPLACEABLE_STATUSES = [
    Status.INVALID,
    Status.HARD_BOUNCED,
    Status.COMPLAINER,
    Status.SUSPENDED,
    Status.UNCONFIRMED,
]
PRIORITY_MIN, PRIORITY_MAX = -(2**31), 2**31 - 1
CONFIRMATION_SALT = "subscriptions.confirm"
# A double opt-in link works for this long after it was made.
CONFIRMATION_MAX_AGE = timedelta(days=7)


def new_public_id():
    return secrets.token_hex(12)


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"
    OTHER = "other", "Other"


class Platform(models.TextChoices):
    WINDOWS = "windows", "Windows"
    LINUX = "linux", "Linux"
    MAC = "mac", "Mac"
    OPERA = "opera", "Opera"
    IOS = "ios", "iOS"
    BLACKBERRY = "blackberry", "BlackBerry"
    ANDROID = "android", "Android"


class Browser(models.TextChoices):
    BOTS = "bots", "Bots"
    INTERNET_EXPLORER = "internet_explorer", "Internet Explorer"
    FIREFOX = "firefox", "Firefox"
    SAFARI = "safari", "Safari"
    FACEBOOK = "facebook", "Facebook"
    CHROME = "chrome", "Chrome"
    OPERA = "opera", "Opera"
    OUTLOOK = "outlook", "Outlook"
    THUNDERBIRD = "thunderbird", "Thunderbird"


# The standard device fields of a subscription, in the order forms and the API show them.
DEVICE_FIELDS = [
    "device_type",
    "device_model",
    "device_name",
    "platform",
    "platform_version",
    "platform_timezone",
    "platform_language",
    "ad_tracking",
    "ad_id",
    "app_id",
    "app_installation_id",
    "app_version",
    "browser",
    "browser_version",
]


@dataclass(frozen=True)
class Delivery:
    """The answer of delivery resolution: the subscription that receives, or why none does."""

    subscription: "Subscription | None"
    reason: str = ""
    message: str = ""

    GLOBAL_STATUS = "global_status"
    CONTROL_GROUP = "control_group"
    NO_SUBSCRIBED = "no_subscribed_subscription"
    CATEGORY_UNSUBSCRIBED = "category_unsubscribed"
    SUPPRESSED = "address_suppressed"

    def __bool__(self):
        return self.subscription is not None


def choose_recipient(profile, subscriptions, suppressed, category=None):
    """Return the Delivery for one resource and channel of a profile.

    ``subscriptions`` are that resource's and channel's live subscriptions with their
    categories prefetched; ``suppressed`` the set of their contacts on the suppression
    list. Only the global status ``subscribed`` allows anything, and a profile in the
    global control group gets no marketing message; then the subscribed subscription with
    the lowest priority number (oldest first on a tie) whose address is not suppressed and,
    for a message of a category, that is subscribed to it.
    """
    if profile.status != Status.SUBSCRIBED:
        return Delivery(
            None,
            Delivery.GLOBAL_STATUS,
            f"The profile's global status is {profile.get_status_display().lower()}: "
            "nothing is sent on any channel.",
        )
    if profile.in_control_group:
        return Delivery(
            None,
            Delivery.CONTROL_GROUP,
            "The profile is in the global control group: marketing messages skip it.",
        )
    candidates = sorted(
        (s for s in subscriptions if s.status == Status.SUBSCRIBED and s.deleted_at is None),
        key=lambda s: (s.priority, s.created_at, s.pk),
    )
    if not candidates:
        return Delivery(None, Delivery.NO_SUBSCRIBED, "No subscription is subscribed.")
    first_failure = None
    category_id = getattr(category, "pk", category)
    for subscription in candidates:
        if category_id is not None and category_id not in {
            c.pk for c in subscription.categories.all()
        }:
            first_failure = first_failure or Delivery(
                None,
                Delivery.CATEGORY_UNSUBSCRIBED,
                "No subscribed subscription is subscribed to this category.",
            )
            continue
        if subscription.contact.lower() in suppressed:
            first_failure = first_failure or Delivery(
                None,
                Delivery.SUPPRESSED,
                f"{subscription.contact} is on the suppression list.",
            )
            continue
        return Delivery(subscription)
    return first_failure


class SubscriptionQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def visible_to(self, user):
        """Return the subscriptions of the profiles this user may see."""
        return scoping.visible(self, user, "profile__database")

    def in_replacement_order(self):
        """Order as a limit replaces them: deleted; bad status; lowest priority; oldest."""
        tier = Case(
            When(deleted_at__isnull=False, then=Value(0)),
            When(status__in=REPLACEABLE_STATUSES, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return self.alias(replacement_tier=tier).order_by(
            "replacement_tier", "-priority", "created_at", "pk"
        )

    def for_display(self):
        return self.select_related("resource", "channel").prefetch_related("categories")

    def new_priority(self, resource):
        """Return the priority of a subscription added to these (one resource's channel, live)
        without one, making room for it.

        With the resource's "increase priority for new subscriptions" it takes the top
        priority and the others move down one step; otherwise it goes below the others.
        """
        if resource.increase_priority_for_new:
            top = self.aggregate(top=Min("priority"))["top"]
            for other in self.filter(priority__lt=PRIORITY_MAX):
                other.priority += 1
                other.save(update_fields=["priority", "updated_at"])
            return 0 if top is None else top
        bottom = self.aggregate(bottom=Max("priority"))["bottom"]
        return 0 if bottom is None else min(bottom + 1, PRIORITY_MAX)

    def recipient_for(self, profile, resource, channel, category=None):
        """Return the Delivery of a message for (profile, resource, channel, category)."""
        subscriptions = list(
            self.live()
            .filter(profile=profile, resource=resource, channel=channel)
            .prefetch_related("categories")
        )
        suppressed = SuppressedAddress.objects.among(s.contact for s in subscriptions)
        return choose_recipient(profile, subscriptions, suppressed, category)


class LiveSubscriptionManager(models.Manager.from_queryset(SubscriptionQuerySet)):
    """The default manager: subscriptions not deleted."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Subscription(models.Model):
    """A profile's contact data for one channel of one resource, its status and priority.

    Deletion is soft (``deleted_at``): a deleted subscription is kept until a limit
    needs its place, so the replacement order can take the deleted ones first.
    """

    public_id = models.CharField(
        "subscription id", max_length=24, unique=True, default=new_public_id, editable=False
    )
    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="subscriptions"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="subscriptions")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="subscriptions")
    contact = models.CharField(max_length=CONTACT_MAX_LENGTH, help_text="Address, phone, token…")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBSCRIBED)
    suspended_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A suspended subscription is subscribed again from this moment (empty: never).",
    )
    priority = models.IntegerField(
        default=0,
        validators=[MinValueValidator(PRIORITY_MIN), MaxValueValidator(PRIORITY_MAX)],
        help_text="The lower the number, the higher the priority.",
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="subscriptions", help_text="Subscribed categories."
    )
    custom_values = models.JSONField(default=dict, blank=True)

    # Standard device fields.
    device_type = models.CharField(max_length=10, choices=DeviceType.choices, blank=True)
    device_model = models.CharField(max_length=200, blank=True, validators=[validate_text])
    device_name = models.CharField(max_length=200, blank=True, validators=[validate_text])
    platform = models.CharField(max_length=12, choices=Platform.choices, blank=True)
    platform_version = models.CharField(max_length=50, blank=True, validators=[validate_text])
    platform_timezone = models.CharField(
        "platform time zone", max_length=64, blank=True, validators=[validate_timezone]
    )
    platform_language = models.CharField(max_length=35, blank=True, validators=[language_validator])
    ad_tracking = models.BooleanField("ad tracking allowed", null=True, blank=True)
    ad_id = models.CharField(
        "ad identifier", max_length=200, blank=True, validators=[validate_text]
    )
    app_id = models.CharField(
        "application ID", max_length=200, blank=True, validators=[validate_text]
    )
    app_installation_id = models.CharField(
        "application installation ID", max_length=200, blank=True, validators=[validate_text]
    )
    app_version = models.CharField(
        "application version", max_length=50, blank=True, validators=[validate_text]
    )
    browser = models.CharField(max_length=20, choices=Browser.choices, blank=True)
    browser_version = models.CharField(max_length=50, blank=True, validators=[validate_text])

    # Registration.
    reg_date = models.DateTimeField("registration date", null=True, blank=True)
    reg_ip = models.GenericIPAddressField("Reg IP", protocol="IPv4", null=True, blank=True)
    reg_source = models.CharField(
        "registration source", max_length=200, blank=True, validators=[validate_text]
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveSubscriptionManager()
    all_objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "resource", "channel", "contact"],
                condition=Q(deleted_at__isnull=True),
                name="unique_live_contact_per_channel",
                violation_error_message=(
                    "This profile already has a subscription with this contact data "
                    "in this resource's channel."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["profile", "resource", "channel", "priority"]),
            # An import matched by a subscription's contact (subscription_email, push_token…),
            # and the admin's search by its start: varchar_pattern_ops lets PostgreSQL use it
            # for LIKE 'prefix%' under any collation (and for equality).
            models.Index(
                fields=["contact"],
                name="subscription_contact_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            # The worker's look-up of suspensions that are over (few rows have a date).
            models.Index(
                fields=["suspended_until"],
                condition=Q(suspended_until__isnull=False),
                name="subscription_suspended_until",
            ),
        ]

    def __str__(self):
        return f"{self.resource} / {self.channel}: {self.contact}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def clean(self):
        """Check a new subscription's channel and contact data.

        The resource, channel and contact of a stored subscription do not change, so a
        channel disabled later does not block editing its status.
        """
        errors = {}
        if self._state.adding and self.resource_id and self.channel_id:
            if not self.resource.channels.filter(pk=self.channel_id).exists():
                errors["channel"] = [
                    f"The channel “{self.channel}” is not enabled on resource “{self.resource}”."
                ]
            try:
                self.contact = self.channel.clean_contact(self.contact)
            except ValidationError as error:
                errors["contact"] = error.messages
        if errors:
            raise ValidationError(errors)

    def same_channel(self):
        """Return the profile's other stored subscriptions in this resource's channel."""
        return Subscription.all_objects.filter(
            profile_id=self.profile_id, resource_id=self.resource_id, channel_id=self.channel_id
        ).exclude(pk=self.pk)

    # Double opt-in.

    def confirmation_token(self):
        """Return the signed token of this subscription's double opt-in link."""
        return signing.TimestampSigner(salt=CONFIRMATION_SALT).sign(self.public_id)

    def confirmation_path(self):
        return reverse("subscription-confirm", args=[self.confirmation_token()])

    @classmethod
    def from_confirmation_token(cls, token, max_age=CONFIRMATION_MAX_AGE):
        """Return the live subscription a confirmation token names.

        Raises ``signing.SignatureExpired`` for a link older than ``max_age``,
        ``signing.BadSignature`` for a tampered one and ``DoesNotExist`` when the
        subscription is gone.
        """
        public_id = signing.TimestampSigner(salt=CONFIRMATION_SALT).unsign(token, max_age=max_age)
        return cls.objects.select_related("profile", "resource", "channel").get(public_id=public_id)

    def event_data(self, **extra):
        """Return the data a history event about this subscription carries."""
        return {
            "subscription": self.public_id,
            "resource": self.resource.name,
            "resource_id": self.resource_id,
            "channel": self.channel.slug,
            "contact": self.contact,
            **extra,
        }


# -- Checking a subscription before it is written -----------------------------------------
#
# Every value is checked once, here, whoever writes (the API, the pages, the admin, an
# import); ``operations.subscriptions`` writes what was checked. Errors are keyed by model
# field name, a custom value's under ``custom_values.<name>``.

UNSET = object()
REGISTRATION_FIELDS = ["reg_date", "reg_ip", "reg_source"]


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


def _collect(errors, key, func, *args, **kwargs):
    """Call func; on a ValidationError file its messages under key and return UNSET."""
    try:
        return func(*args, **kwargs)
    except ValidationError as error:
        errors[key] = error.messages
        return UNSET


def _check_device(errors, device):
    device = dict(device or {})
    unknown = sorted(set(device) - set(DEVICE_FIELDS))
    if unknown:
        errors["device"] = [f"Unknown device field: {', '.join(unknown)}."]
    return {name: value for name, value in device.items() if name in DEVICE_FIELDS}


def _category_ids(categories):
    return [getattr(category, "pk", category) for category in categories]


@dataclass
class NewSubscription:
    """A subscription checked by ``check_new_subscription``, not saved yet."""

    subscription: "Subscription"
    categories: list
    priority_given: bool


def check_new_subscription(
    profile,
    *,
    resource,
    channel,
    contact,
    status=None,
    priority=None,
    categories=(),
    custom_values=None,
    device=None,
    registration=None,
):
    """Check a new subscription of ``profile`` and return it (``NewSubscription``).

    ``priority`` None means "not given" (the resource's rule places it); ``status`` None
    means subscribed. Raise ValidationError naming every bad value; nothing is written.
    """
    errors = {}
    if not isinstance(resource, Resource):
        errors["resource"] = ["Choose a resource."]
    if not isinstance(channel, Channel):
        errors["channel"] = ["Choose a channel."]
    if errors.get("resource"):
        raise ValidationError(errors)
    status = (
        Status.SUBSCRIBED if is_empty(status) else _collect(errors, "status", clean_status, status)
    )
    priority = (
        None if is_empty(priority) else _collect(errors, "priority", clean_priority, priority)
    )
    device = _check_device(errors, device)
    cleaned_categories = _collect(
        errors, "categories", resource.clean_category_ids, _category_ids(categories)
    )
    change, custom_errors = resource.check_custom_values(custom_values or {})
    errors |= keyed_errors(custom_errors)
    if not isinstance(contact, str):
        errors["contact"] = ["Enter the contact data as text."]
    subscription = Subscription(
        profile=profile,
        resource=resource,
        channel=channel if isinstance(channel, Channel) else None,
        contact=contact if isinstance(contact, str) else "",
        status=status if status is not UNSET else Status.SUBSCRIBED,
        priority=priority if isinstance(priority, int) else 0,
        custom_values=change.values if change else {},
        reg_date=timezone.now(),
        **device,
    )
    for name in REGISTRATION_FIELDS:
        value = (registration or {}).get(name)
        if not is_empty(value):
            setattr(subscription, name, value)
    try:
        # The checks above made status, priority and custom values; the model checks the rest.
        subscription.full_clean(
            exclude=["profile", "status", "priority", "custom_values", "categories"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)
    return NewSubscription(subscription, cleaned_categories, priority is not None)


def _check_suspension(errors, values, subscription, until):
    """File the end of a suspension in ``values``: a moment to come, for a suspended one."""
    status = values.get("status", subscription.status)
    if until is UNSET:
        if status != Status.SUSPENDED:
            values["suspended_until"] = None
        return
    try:
        until = (
            None
            if is_empty(until)
            else Subscription._meta.get_field("suspended_until").clean(until, subscription)
        )
    except ValidationError as error:
        errors["suspended_until"] = error.messages
        return
    if until is not None and timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until is not None and status != Status.SUSPENDED:
        errors["suspended_until"] = ["Only a suspended subscription resumes at a date."]
    elif until is not None and until <= timezone.now():
        errors["suspended_until"] = ["Enter a moment in the future."]
    else:
        values["suspended_until"] = until


@dataclass
class SubscriptionChange:
    """A change of a subscription checked by ``check_subscription_change``, not saved yet."""

    subscription: "Subscription"
    values: dict = field(default_factory=dict)  # model field -> new value
    categories: object = UNSET  # the categories to subscribe to, or UNSET


def check_subscription_change(
    subscription,
    *,
    status=UNSET,
    priority=UNSET,
    categories=UNSET,
    custom_values=UNSET,
    device=UNSET,
    suspended_until=UNSET,
):
    """Check a change of a subscription's status, priority, categories, custom values (merged
    into the current ones: None or "" removes one), device fields or the end of a suspension
    (only a suspended subscription has one; leaving "suspended" drops it); return it."""
    if subscription.is_deleted:
        raise ValidationError({NON_FIELD_ERRORS: ["This subscription was deleted."]})
    errors, values = {}, {}
    if status is not UNSET:
        values["status"] = _collect(errors, "status", clean_status, status)
    if status is not UNSET or suspended_until is not UNSET:
        _check_suspension(errors, values, subscription, suspended_until)
    if priority is not UNSET:
        values["priority"] = _collect(errors, "priority", clean_priority, priority)
    if categories is not UNSET:
        categories = _collect(
            errors,
            "categories",
            subscription.resource.clean_category_ids,
            _category_ids(categories),
        )
    if custom_values is not UNSET:
        change, custom_errors = subscription.resource.check_custom_values(
            custom_values, current=subscription.custom_values
        )
        errors |= keyed_errors(custom_errors)
        values["custom_values"] = change
    if device is not UNSET:
        device = _check_device(errors, device)
        for name, value in device.items():
            model_field = Subscription._meta.get_field(name)
            try:
                values[name] = model_field.clean(value, subscription)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return SubscriptionChange(subscription, values, categories)
