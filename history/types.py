"""The event types of a profile's action history: slug, label, group and data shape.

Each type documents the keys of its ``data``: the kind of value, whether it is required
and what it means. ``EventType.clean_data`` checks an event's data against that shape
(ingestion over the API calls it; keys not listed are kept as given). Types marked
``accepted=False`` are recorded by the product itself when the change happens (a status
change, a subscription, a segment entry) and are not accepted from integrations.
"""

import functools
import re
from dataclasses import dataclass, field

import orjson
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.fieldtypes import clean_float, clean_ip, clean_line, clean_number
from core.jsonvalues import depth, encoded_size
from core.status import Status

URL_MAX_LENGTH = 8192
# An event's data: a few keys of a mail server's or a pixel's report, never a document.
DATA_MAX_BYTES = 32 * 1024
DATA_MAX_DEPTH = 8


@dataclass(frozen=True)
class DataField:
    """One key of an event's data: its kind of value, whether required, what it means,
    and the permission a user needs to see its value, if seeing the history is not enough
    (a promo code's: ``Event.withholding``)."""

    name: str
    kind: str
    description: str
    required: bool = False
    permission: str = ""

    def describe(self):
        described = {"type": self.kind, "required": self.required}
        if self.permission:
            described["permission"] = self.permission
        return described | {"description": self.description}


# The kinds of value a data key holds, with what each accepts.
KINDS = {
    "text": "text",
    "url": "an absolute http(s) URL",
    "page": "a page's address as reported: an absolute URL or a relative one (any text "
    "without control characters)",
    "id": "an identifier: a whole number or text",
    "integer": "a whole number",
    "number": "a number",
    "ip": "an IPv4 address",
    "status": "one of the 7 statuses",
    "object": "a JSON object",
    "any": "any JSON value",
}


def _text(name, description, required=False):
    return DataField(name, "text", description, required)


MAILING = DataField("mailing", "id", "The mailing (its id or name).")
SUBSCRIPTION = DataField(
    "subscription", "id", "The id of the subscription concerned (its API id, 24 hex digits)."
)
RESOURCE = DataField("resource", "id", "The resource (source of subscription): id or name.")
CHANNEL = _text("channel", "The channel slug, e.g. email, sms, push.")
UTM = [
    _text(f"utm_{tag}", f"The link's utm_{tag} tag; updates the profile's UTM fields.")
    for tag in ("source", "medium", "campaign", "term", "content")
]
MAILING_FIELDS = (MAILING, SUBSCRIPTION, RESOURCE, CHANNEL)
# What an integration knows instead of a subscription's id: the address a message went to.
CONTACT_FIELDS = (
    _text(
        "contact",
        "The address (or phone, token) concerned: without `subscription`, names the "
        "profile's subscription with that contact.",
    ),
    _text("email", "The email address concerned (as `contact`)."),
)
SUBSCRIPTION_FIELDS = (SUBSCRIPTION, RESOURCE, CHANNEL)
IMPORT_SOURCE = _text("source", "How the profile came: manual, api, file or push.")
# Any event reported with an IP: checked as one, and it locates the profile (operations.location).
IP = DataField(
    "ip",
    "ip",
    "The IPv4 address of the action: updates the profile's Tracked IP, country and time zone.",
)
PROMO_FIELDS = (
    DataField(
        "code",
        "text",
        "The promo code; shown as “(hidden)” to users who may not view promo codes.",
        required=True,
        permission="promos.view_promocode",
    ),
    DataField("program", "id", "The promo code's pool (its name)."),
    _text("source", "Where the change was made: ui, api, admin or demo."),
)


@dataclass(frozen=True)
class EventType:
    slug: str
    label: str
    group: str
    data: str = ""
    fields: tuple = field(default=(), compare=False)
    accepted: bool = True
    effect: str = ""

    def describe(self):
        """Return this type as the API lists it."""
        return {
            "slug": self.slug,
            "label": self.label,
            "group": self.group,
            "group_label": GROUP_LABELS.get(self.group, self.group),
            "accepted": self.accepted,
            "effect": self.effect,
            "data": {f.name: f.describe() for f in self.data_fields},
        }

    @functools.cached_property
    def data_fields(self):
        """The keys this type's data documents: its own, and ``ip`` for a reported type."""
        named = {f.name for f in self.fields}
        return (*self.fields, IP) if self.accepted and "ip" not in named else self.fields

    @functools.cached_property
    def _shape(self):
        """({documented key: its kind}, [the required keys]): what clean_data checks."""
        kinds = {spec.name: spec.kind for spec in self.data_fields}
        return kinds, [spec.name for spec in self.data_fields if spec.required]

    def clean_data(self, data):
        """Check the data against this type's shape; return (cleaned, errors by key)."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return {}, {"": ["Enter the data as a JSON object."]}
        nested = any(isinstance(value, CONTAINERS) for value in data.values())
        if nested and depth(data) > DATA_MAX_DEPTH:
            return {}, {"": [f"The data nests {depth(data)} levels; at most {DATA_MAX_DEPTH}."]}
        if _maybe_too_big(data) and encoded_size(data) > DATA_MAX_BYTES:
            return {}, {
                "": [
                    f"The data takes {encoded_size(data):,} bytes as JSON; "
                    f"at most {DATA_MAX_BYTES:,}."
                ]
            }
        cleaned, errors = dict(data), {}
        kinds, required = self._shape
        for name, value in data.items():
            kind = kinds.get(name)
            if kind is None:  # a key the type does not document: kept as sent
                continue
            if value is None or value == "":
                del cleaned[name]
                continue
            try:
                cleaned[name] = clean_kind(kind, value)
            except ValidationError as error:
                errors[name] = error.messages
        for name in required:
            if name not in cleaned:
                errors[name] = [f"This key is required for “{self.slug}” events."]
        return cleaned, errors


def _maybe_too_big(data):
    """Whether ``data`` may take more than DATA_MAX_BYTES as JSON: orjson's size (a few
    times faster than json's, within a few bytes of it) well under the limit says no."""
    try:
        return len(orjson.dumps(data)) > DATA_MAX_BYTES // 2
    except TypeError:  # a value orjson does not write (an integer beyond 64 bits)
        return True


URL_VALIDATOR = URLValidator(schemes=["http", "https"])
CONTAINERS = (dict, list)  # the JSON values that nest (isinstance takes a tuple fastest)
WHITESPACE = re.compile(r"\s")
SITES_REMEMBERED = 4096


def _is_url(value):
    """Whether URL_VALIDATOR accepts ``value``, its answer found faster.

    The validator's regular expressions cost more than the rest of an event's checks, and
    nearly all of that is the site (``https://user@shop.example:8443``): the rest of the
    URL, from the first ``/``, ``?`` or ``#`` after ``://``, need only hold no whitespace.
    The sites, few and clicked again and again, are checked once each and remembered. A
    URL whose site passes and whose rest holds no whitespace passes whole (the validator
    splits the host off at the same place); any other is checked whole, so no answer
    differs from the validator's (a test compares them on generated URLs).
    """
    if len(value) > URL_VALIDATOR.max_length:
        return False
    scheme_end = value.find("://")
    if scheme_end >= 0:
        site_end = len(value)
        for mark in "/?#":
            found = value.find(mark, scheme_end + 3)
            if 0 <= found < site_end:
                site_end = found
        if _site_is_valid(value[:site_end]) and not WHITESPACE.search(value, site_end):
            return True
    return _validates_as_url(value)


def _validates_as_url(value):
    try:
        URL_VALIDATOR(value)
    except ValidationError:
        return False
    return True


_site_is_valid = functools.lru_cache(maxsize=SITES_REMEMBERED)(_validates_as_url)


# C0 and C1 control characters and DEL: no address holds them (NUL no column stores).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_page(value):
    """Return a page's address as a page reported it (a pixel's URL or referrer), trimmed.

    A page knows its address as it knows it: ``/checkout``, ``https://shop/x`` (an intranet
    host), ``https://shop.example/p``. Any text is taken, up to ``URL_MAX_LENGTH``
    characters, except blank text and control characters. It is shown as text, and linked
    only when it starts with http:// or https:// (``history.models.Event.key_data``).
    """
    if not isinstance(value, str):
        raise ValidationError("Enter the page's address as text, e.g. /checkout.")
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Enter the address without control characters (NUL, tab, line break…)."
        )
    value = value.strip()
    if len(value) > URL_MAX_LENGTH:
        raise ValidationError(f"Enter an address of at most {URL_MAX_LENGTH:,} characters.")
    if not value:
        raise ValidationError("Enter the page's address, e.g. /checkout; it is blank.")
    return clean_line(value)


def clean_kind(kind, value):
    """Return the value checked for its kind of data key, or raise ValidationError."""
    if kind == "text":
        if not isinstance(value, str):
            raise ValidationError("Enter text.")
        return clean_line(value)
    if kind == "url":
        message = "Enter an absolute http(s) URL, e.g. https://example.com/page."
        if not isinstance(value, str) or len(value) > URL_MAX_LENGTH:
            raise ValidationError(message)
        if not _is_url(value):
            raise ValidationError(message)
        return clean_line(value)
    if kind == "page":
        return clean_page(value)
    if kind == "id":
        if isinstance(value, str):
            return clean_line(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return clean_number(value)
        raise ValidationError("Enter an id: a whole number or text.")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError("Enter a whole number, e.g. 42.")
        return clean_number(value)
    if kind == "number":
        if isinstance(value, str):
            raise ValidationError("Enter a number, e.g. 3.14 (not text).")
        return clean_float(value)
    if kind == "ip":
        return clean_ip(value)
    if kind == "status":
        if value not in Status.values:
            raise ValidationError(f"Enter one of: {', '.join(Status.values)}.")
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise ValidationError("Enter a JSON object.")
        return value
    return value


GROUP_LABELS = {
    "import": "Import",
    "subscription": "Subscriptions",
    "mailing": "Mailings",
    "unsubscribe": "Unsubscribe links",
    "pixel": "Pixels",
    "promo code": "Promo codes",
    "segment": "Static segments",
    "control group": "Global control group",
    "profile": "Profile changes",
    "form": "Forms",
    "loyalty": "Loyalty programs",
}

EVENT_TYPES = [
    # How the profile came into its database.
    EventType(
        "import_manual", "Added manually", "import", "{source}", (IMPORT_SOURCE,), accepted=False
    ),
    EventType(
        "import_api", "Imported via API", "import", "{source}", (IMPORT_SOURCE,), accepted=False
    ),
    EventType(
        "import_file",
        "Imported from a file",
        "import",
        "{source, file}",
        (IMPORT_SOURCE, _text("file", "The name of the imported file.")),
        accepted=False,
    ),
    EventType("import_push", "Push import", "import", "{source}", (IMPORT_SOURCE,), accepted=False),
    # Subscriptions to a resource's channel.
    EventType(
        "subscribed",
        "Subscribed",
        "subscription",
        "{subscription, resource, channel}",
        SUBSCRIPTION_FIELDS,
        accepted=False,
    ),
    EventType(
        "unsubscribed",
        "Unsubscribed",
        "subscription",
        "{subscription, resource, channel}",
        SUBSCRIPTION_FIELDS,
        accepted=False,
    ),
    EventType(
        "subscription_status_changed",
        "Subscription status changed",
        "subscription",
        "{subscription, resource, channel, from, to}",
        (
            *SUBSCRIPTION_FIELDS,
            DataField("from", "status", "The status before."),
            DataField("to", "status", "The status after.", required=True),
        ),
        accepted=False,
    ),
    EventType(
        "subscription_categories_changed",
        "Subscription categories changed",
        "subscription",
        "{subscription, resource, channel, subscribed, unsubscribed}",
        (
            *SUBSCRIPTION_FIELDS,
            DataField("subscribed", "any", "The names of the categories subscribed to."),
            DataField("unsubscribed", "any", "The names of the categories unsubscribed from."),
        ),
        accepted=False,
    ),
    EventType(
        "subscription_changed",
        "Subscription fields changed",
        "subscription",
        "{subscription, resource, channel, fields}",
        (
            *SUBSCRIPTION_FIELDS,
            DataField("fields", "any", "The names of the device and custom fields changed."),
        ),
        accepted=False,
    ),
    EventType(
        "subscription_deleted",
        "Subscription deleted",
        "subscription",
        "{subscription, resource, channel, reason}",
        (
            *SUBSCRIPTION_FIELDS,
            _text("reason", "deleted (by a user) or replaced (by a new one at the limit)."),
        ),
        accepted=False,
    ),
    # Mailing actions.
    EventType(
        "send", "Sent", "mailing", "{mailing, subscription, resource, channel}", MAILING_FIELDS
    ),
    EventType(
        "delivery",
        "Delivered",
        "mailing",
        "{mailing, subscription, resource, channel}",
        MAILING_FIELDS,
    ),
    EventType(
        "open", "Opened", "mailing", "{mailing, subscription, resource, channel}", MAILING_FIELDS
    ),
    EventType(
        "read", "Read", "mailing", "{mailing, subscription, resource, channel}", MAILING_FIELDS
    ),
    EventType(
        "click",
        "Clicked a link",
        "mailing",
        "{mailing, url, subscription, utm_*}",
        (DataField("url", "url", "The URL of the link."), *MAILING_FIELDS, *UTM),
        effect="UTM tags (utm_* keys, or the URL's utm_* parameters) update the profile's UTM.",
    ),
    EventType(
        "confirmation_click",
        "Clicked the confirmation link",
        "mailing",
        "{subscription, resource, channel}",
        (*MAILING_FIELDS, DataField("url", "url", "The URL of the confirmation link.")),
        effect="Double opt-in: an unconfirmed profile (and subscription) becomes subscribed.",
    ),
    EventType(
        "hard_bounce",
        "Hard bounce",
        "mailing",
        "{mailing, subscription, contact, reason}",
        (*MAILING_FIELDS, *CONTACT_FIELDS, _text("reason", "The mail server's answer.")),
        effect="Sets the profile's status to hard_bounced and suppresses its address, and "
        "the address reported (`contact` or `email`); the subscription named by `subscription` "
        "or by its contact becomes hard_bounced.",
    ),
    EventType(
        "complaint",
        "Complaint (reported as spam)",
        "mailing",
        "{mailing, subscription, contact}",
        (*MAILING_FIELDS, *CONTACT_FIELDS),
        effect="Sets the profile's status to complainer (and the subscription it names, by id "
        "or by contact).",
    ),
    # Unsubscribe links.
    EventType(
        "unsubscribe_click",
        "Clicked the unsubscribe link",
        "unsubscribe",
        "{mailing, subscription, contact}",
        (
            *MAILING_FIELDS,
            *CONTACT_FIELDS,
            DataField("url", "url", "The URL of the unsubscribe link."),
        ),
        effect="Unsubscribes the subscription it names (by id or by contact).",
    ),
    # Pixels.
    EventType(
        "pixel",
        "Pixel goal reached",
        "pixel",
        "{goal, value, url, referrer, ip, geo, pixel_data, pixel}",
        (
            _text("goal", "The goal reached.", required=True),
            DataField("value", "number", "The goal's value."),
            DataField("url", "page", "The page the pixel fired on (absolute or relative)."),
            DataField("referrer", "page", "The page the visitor came from."),
            DataField("ip", "ip", "The visitor's IPv4 address."),
            DataField("geo", "object", "Geodata, e.g. {country, region, city}."),
            DataField("pixel_data", "any", "The pixel's raw data, kept as sent."),
            DataField("pixel", "id", "The pixel (its id in pixels/)."),
        ),
    ),
    # Forms (recorded by operations.webforms when a form is submitted).
    EventType(
        "form_submitted",
        "Submitted a form",
        "form",
        "{form, submission}",
        (
            DataField("form", "id", "The form (its name).", required=True),
            DataField("submission", "id", "The submission's id (form-submissions/).", True),
        ),
        accepted=False,
    ),
    # Promo codes (recorded by operations.promos with the change, so the Data section's codes
    # and the history agree: integrations attach and activate codes through the API instead).
    EventType(
        "promo_attached",
        "Promo code attached",
        "promo code",
        "{code, program, source}",
        PROMO_FIELDS,
        accepted=False,
    ),
    EventType(
        "promo_detached",
        "Promo code detached",
        "promo code",
        "{code, program, source}",
        PROMO_FIELDS,
        accepted=False,
    ),
    EventType(
        "promo_activated",
        "Promo code activated",
        "promo code",
        "{code, program, source}",
        PROMO_FIELDS,
        accepted=False,
    ),
    # Static segments.
    EventType(
        "segment_entered",
        "Entered a static segment",
        "segment",
        "{segment}",
        (DataField("segment", "id", "The segment (id or name).", required=True),),
        accepted=False,
    ),
    EventType(
        "segment_exited",
        "Exited a static segment",
        "segment",
        "{segment}",
        (DataField("segment", "id", "The segment (id or name).", required=True),),
        accepted=False,
    ),
    # Global control group.
    EventType(
        "control_group_entered",
        "Entered the global control group",
        "control group",
        "{}",
        (),
        accepted=False,
    ),
    # Loyalty programs (recorded by operations.loyalty; not part of the spec's list).
    EventType(
        "loyalty_enrolled",
        "Enrolled in a loyalty program",
        "loyalty",
        "{program, source}",
        (
            DataField("program", "id", "The loyalty program (its name).", required=True),
            _text("source", "Where it was enrolled: ui, api, admin or demo."),
        ),
        accepted=False,
    ),
    EventType(
        "loyalty_points",
        "Loyalty points added or written off",
        "loyalty",
        "{program, points, reason, balance, tier, source}",
        (
            DataField("program", "id", "The loyalty program (its name).", required=True),
            DataField("points", "integer", "Positive: an accrual; negative: a write-off.", True),
            _text("reason", "Why (required for a write-off)."),
            DataField("balance", "integer", "The balance after the transaction."),
            _text("tier", "The tier the balance reaches after it (empty: none)."),
            _text("source", "Where it was added: ui, api, admin or demo."),
        ),
        accepted=False,
    ),
    # Changes made in the product.
    EventType(
        "status_changed",
        "Global status changed",
        "profile",
        "{from, to, source}",
        (
            DataField("from", "status", "The status before."),
            DataField("to", "status", "The status after.", required=True),
            _text("source", "Where the change was made: ui, api, import, event…"),
        ),
        accepted=False,
    ),
]
EVENT_TYPES_BY_SLUG = {event_type.slug: event_type for event_type in EVENT_TYPES}
IMPORT_SOURCES = {
    "manual": "import_manual",
    "api": "import_api",
    "file": "import_file",
    "push": "import_push",
}


def withheld_keys(user):
    """{event type: the keys of its data whose values ``user`` may not see} (keys that need
    a permission of their own, as a promo code's)."""
    withheld = {}
    for event_type in EVENT_TYPES:
        for spec in event_type.data_fields:
            if spec.permission and not user.has_perm(spec.permission):
                withheld.setdefault(event_type.slug, []).append((spec.name, spec.permission))
    return withheld


def label_for(slug):
    event_type = EVENT_TYPES_BY_SLUG.get(slug)
    return event_type.label if event_type else slug


def grouped_types():
    """Return [(group, group label, [types])] in taxonomy order, for grouped pickers."""
    groups = {}
    for event_type in EVENT_TYPES:
        groups.setdefault(event_type.group, []).append(event_type)
    return [(group, GROUP_LABELS.get(group, group), types) for group, types in groups.items()]
