"""Resources, channels, categories and subscriptions, and the rules that bind them.

The rules (contact data per channel, priority, the 200/20 limits and the replacement
order, delivery resolution, the double opt-in link) live here, on the models and their
querysets; ``subscriptions.services`` wraps the writes that also record history events.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    validate_email,
)
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse

from profiles.fieldtypes import check_text, is_empty, whole_number
from profiles.models import (
    FIELD_NAME_RE,
    Status,
    TypedField,
    language_validator,
    normalize_phone,
    validate_text,
    validate_timezone,
)

# -- Suppression list --------------------------------------------------------------------


class SuppressedAddressQuerySet(models.QuerySet):
    def suppress(self, address, *, reason, profile=None):
        """Put the address on the global suppression list (once) and return the entry."""
        entry, _ = self.get_or_create(
            address=address.strip().lower(),
            defaults={"reason": reason, "profile_id": profile.profile_id if profile else ""},
        )
        return entry

    def is_suppressed(self, address):
        return self.filter(address=(address or "").strip().lower()).exists()

    def among(self, addresses):
        """Return the set of these addresses that are on the list (one query)."""
        wanted = {(address or "").strip().lower() for address in addresses}
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
        address = value.strip().lower()
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

    def clean_field_values(self, values, *, partial=False, current=None):
        """Validate custom subscription field values against this resource's definitions.

        Return (cleaned, errors) like ``ProfileDatabase.clean_custom_values``: cleaned is
        the full new dict (merged with ``current`` when ``partial``), errors maps each bad
        field name to its messages. None or "" removes a value.
        """
        if not isinstance(values, dict):
            return {}, {"": ["Enter an object mapping field names to values."]}
        definitions = {f.name: f for f in self.fields.all()}
        cleaned = dict(current or {}) if partial else {}
        errors = {}
        for name, value in values.items():
            definition = definitions.get(name)
            if definition is None:
                errors[name] = [f"Unknown field “{name}” in resource “{self.name}”."]
                continue
            if is_empty(value):
                cleaned.pop(name, None)
                continue
            try:
                cleaned[name] = definition.clean_value(value)
            except ValidationError as error:
                errors[name] = error.messages
        for name, definition in definitions.items():
            if definition.required and is_empty(cleaned.get(name)) and name not in errors:
                errors[name] = [f"{name}: this field is required."]
        return cleaned, errors

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
    name = models.CharField(
        max_length=63,
        validators=[
            RegexValidator(
                FIELD_NAME_RE,
                "Use letters, digits and underscores, starting with a letter (e.g. app_plan).",
            )
        ],
    )

    class Meta:
        ordering = ["resource", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "name"], name="unique_field_per_resource")
        ]

    def __str__(self):
        return f"{self.resource}: {self.name} ({self.get_type_display()})"


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
    NO_SUBSCRIBED = "no_subscribed_subscription"
    CATEGORY_UNSUBSCRIBED = "category_unsubscribed"
    SUPPRESSED = "address_suppressed"

    def __bool__(self):
        return self.subscription is not None


def choose_recipient(profile, subscriptions, suppressed, category=None):
    """Return the Delivery for one resource and channel of a profile.

    ``subscriptions`` are that resource's and channel's live subscriptions with their
    categories prefetched; ``suppressed`` the set of their contacts on the suppression
    list. Only the global status ``subscribed`` allows anything; then the subscribed
    subscription with the lowest priority number (oldest first on a tie) whose address
    is not suppressed and, for a message of a category, that is subscribed to it.
    """
    if profile.status != Status.SUBSCRIBED:
        return Delivery(
            None,
            Delivery.GLOBAL_STATUS,
            f"The profile's global status is {profile.get_status_display().lower()}: "
            "nothing is sent on any channel.",
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
        from profiles.models import Profile

        if user.is_authenticated and user.is_active and user.is_superuser:
            return self
        return self.filter(profile__in=Profile.objects.visible_to(user))

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
        indexes = [models.Index(fields=["profile", "resource", "channel", "priority"])]

    def __str__(self):
        return f"{self.resource} / {self.channel}: {self.contact}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def clean(self):
        """Check a new subscription's channel and contact data, and the custom values.

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
        if self.resource_id:
            cleaned, field_errors = self.resource.clean_field_values(self.custom_values or {})
            if field_errors:
                errors["custom_values"] = [m for ms in field_errors.values() for m in ms]
            else:
                self.custom_values = cleaned
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
