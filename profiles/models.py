"""Profile databases, their custom fields, profiles and the phone index.

The rules of a single profile live here: identifiers, the fallback email, search, the
tabs of a database. Writes that also touch other apps (history, the suppression list)
are in ``operations.profiles``.
"""

import contextlib
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import xxhash
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    EmailValidator,
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import connection, models, transaction
from django.db.models import F, Field, Q
from django.db.models.base import ModelState
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Upper
from django.db.models.signals import post_init, pre_init
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from audit.signals import log_updates
from core import scoping
from core.collation import Alphabetical
from core.status import Status
from core.text import (
    country_code_validator,
    country_from_ip,
    language_validator,
    normalize_email,
    normalize_phone,
    normalize_phones,
    validate_text,
    validate_timezone,
)
from core.typedfields import TypedField, check_change, keyed_errors

from .fields import (
    EDITABLE,
    OTHER_FIELDS_GROUP,
    STANDARD_TABS,
    TAB_FIELDS,
    default_tab_fields,
    home_tab,
)
from .location import location_change

CUSTOM_TABS_MAX = 20
# The longest email ``EmailValidator`` accepts (RFC 3696, section 3).
EMAIL_MAX_LENGTH = 320


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"


# -- Profile databases and custom fields -------------------------------------------------


class ProfileDatabaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the databases whose profiles this user may see."""
        return scoping.visible(self, user, database="")


@dataclass
class Tab:
    slug: str
    label: str
    fields: list = field(default_factory=list)
    custom: bool = False


class ProfileDatabase(models.Model):
    """A set of profiles sharing one structure: the standard fields used and custom fields."""

    name = models.CharField(max_length=200, unique=True, validators=[validate_text])
    description = models.TextField(blank=True, max_length=5000, validators=[validate_text])
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="profile_databases",
        help_text="Users (besides superusers) who may work with this database's profiles.",
    )
    default_tab = models.SlugField(max_length=50, default="main")
    tab_fields = models.JSONField(
        default=dict, blank=True, help_text="Fields shown per tab, where changed from the default."
    )
    custom_tabs = models.JSONField(
        default=list, blank=True, help_text="Tabs made by users: slug, label and fields."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProfileDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def field_choices(self):
        """Return (key, label) of every field a tab may show: standard and custom."""
        custom = [(f"custom.{f.name}", f.label or f.name) for f in self.custom_fields.all()]
        return [(spec.name, spec.label) for spec in TAB_FIELDS] + custom

    def field_groups(self):
        """Return (tab label, [(key, label)]) of the fields a tab may show, grouped by the
        standard tab each belongs to (custom fields under "Additional fields")."""
        groups = {slug: (label, []) for slug, label in [*STANDARD_TABS, OTHER_FIELDS_GROUP]}
        for spec in TAB_FIELDS:
            groups[home_tab(spec)][1].append((spec.name, spec.label))
        groups["additional"][1].extend(
            (f"custom.{f.name}", f.label or f.name) for f in self.custom_fields.all()
        )
        return [(label, choices) for label, choices in groups.values() if choices]

    def tabs(self):
        """Return the data tabs of this database's profile page, in order."""
        custom_keys = [f"custom.{f.name}" for f in self.custom_fields.all()]
        tabs = []
        for slug, label in STANDARD_TABS:
            default_fields = custom_keys if slug == "additional" else default_tab_fields(slug)
            fields = self.tab_fields.get(slug, default_fields)
            tabs.append(Tab(slug, label, list(fields)))
        for tab in self.custom_tabs:
            tabs.append(Tab(tab["slug"], tab["label"], list(tab["fields"]), custom=True))
        known = {key for key, _ in self.field_choices()}
        for tab in tabs:
            tab.fields = [key for key in tab.fields if key in known]
        return tabs

    def get_tab(self, slug):
        return next((tab for tab in self.tabs() if tab.slug == slug), None)

    def set_tab_fields(self, slug, fields):
        """Choose the fields a tab shows (the cog); persisted for the whole database."""
        known = {key for key, _ in self.field_choices()}
        unknown = [key for key in fields if key not in known]
        if unknown:
            raise ValidationError({"fields": f"Unknown fields: {', '.join(unknown)}."})
        for tab in self.custom_tabs:
            if tab["slug"] == slug:
                tab["fields"] = list(fields)
                break
        else:
            if self.get_tab(slug) is None:
                raise ValidationError({"tab": f"Unknown tab “{slug}”."})
            self.tab_fields[slug] = list(fields)
        self.save(update_fields=["tab_fields", "custom_tabs"])

    def add_custom_tab(self, label, fields):
        """Create a tab with the chosen fields and return it."""
        label = (label or "").strip()
        if not label:
            raise ValidationError({"label": "Enter a name for the tab."})
        if len(self.custom_tabs) >= CUSTOM_TABS_MAX:
            raise ValidationError(
                {"label": f"A database has at most {CUSTOM_TABS_MAX} tabs of its own."}
            )
        validate_text(label)
        slug = "tab-" + (slugify(label) or "custom")
        taken = {tab.slug for tab in self.tabs()}
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        self.custom_tabs.append({"slug": slug, "label": label[:60], "fields": []})
        self.set_tab_fields(slug, fields)
        return self.get_tab(slug)

    def remove_custom_tab(self, slug):
        self.custom_tabs = [tab for tab in self.custom_tabs if tab["slug"] != slug]
        if self.default_tab == slug:
            self.default_tab = "main"
        self.save(update_fields=["custom_tabs", "default_tab"])

    def set_default_tab(self, slug):
        if self.get_tab(slug) is None:
            raise ValidationError({"default_tab": f"Unknown tab “{slug}”."})
        self.default_tab = slug
        self.save(update_fields=["default_tab"])

    def check_custom_values(self, values, *, current=None):
        """Return (``ValuesChange``, errors by field name) for custom values of this
        database's fields (``core.typedfields.check_change``: ``current`` given, they change
        only the fields they name)."""
        return check_change(
            self.custom_fields.all(), values, current=current, owner=f"database “{self.name}”"
        )


class CustomField(TypedField):
    """A custom profile field of a database: a name, one of 8 types, enum options."""

    database = models.ForeignKey(
        ProfileDatabase, on_delete=models.CASCADE, related_name="custom_fields"
    )

    class Meta:
        ordering = ["database", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_field_per_database")
        ]

    def __str__(self):
        return f"{self.database}: {self.name} ({self.get_type_display()})"

    def holders(self, values=None):
        """Return the profiles of this field's database holding a value for it (or one of them)."""
        profiles = Profile.objects.filter(database_id=self.database_id)
        if values is None:
            return profiles.filter(custom_values__has_key=self.name)
        return profiles.alias(value=KeyTransform(self.name, "custom_values")).filter(
            value__in=list(values)
        )

    @transaction.atomic
    def delete(self, *args, **kwargs):
        """Delete the field with its values, so a later field of that name starts empty."""
        # Whole rows: Profile.__init__ reads phones, so deferring them would recurse. Locked
        # batch by batch, so a value written meanwhile is neither lost nor left behind.
        holders = self.holders().select_for_update()
        key = f"fields.{self.name}"
        last_id = 0
        while batch := list(holders.filter(id__gt=last_id).order_by("id")[:1000]):
            changes = {}
            for profile in batch:
                changes[profile] = {key: [profile.custom_values.pop(self.name, None), None]}
            Profile.objects.bulk_update(batch, ["custom_values"])
            log_updates(changes)
            last_id = batch[-1].id
        return super().delete(*args, **kwargs)


# -- Profiles ----------------------------------------------------------------------------


# A phone (or phone prefix, or subscription contact) shared by more profiles than this is no
# way to find one: the search keeps the newest this many of them.
SEARCH_PHONE_OWNERS = 1000
# The shortest text searched inside emails (a trigram index needs three characters), and the
# shortest profile ID or phone prefix searched.
SEARCH_SUBSTRING_MIN = 3
SEARCH_PREFIX_MIN = 4
FIELD_SEARCH_RE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]{0,62}):(?P<value>.+)$", re.S)
HEX_RE = re.compile(r"^[0-9a-f]+$")
PHONE_PREFIX_RE = re.compile(r"^\+?\d+$")
PHONE_PUNCTUATION_RE = re.compile(r"[\s().\-]")

# Functions ``text -> Q | None`` by which apps above this one let the search find a profile
# by what they hold (subscriptions: a subscription's contact); see ``add_search_matcher``.
_search_matchers = []


def add_search_matcher(matcher):
    """Let the profile search also match ``matcher(text)`` (a Q on profiles, or None): how
    an app above profiles makes what it holds searchable without profiles importing it."""
    if matcher not in _search_matchers:
        _search_matchers.append(matcher)


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the profiles of the databases this user may see."""
        return scoping.visible(self, user)

    def locked_for_change(self):
        """Lock the rows for a change that leaves their keys alone (``FOR NO KEY UPDATE``):
        writers of a profile still go one at a time.

        Every row written with a reference to a profile (an event, a subscription, an
        audit entry) checks it at commit with a key-share lock, which ``FOR UPDATE``
        blocks. Two transactions each locking a profile the other only references would
        wait for each other's commit: a deadlock, seen with two batches of events at once.
        A change of a key (the email) takes the stronger lock by its own ``UPDATE``.
        """
        return self.select_for_update(no_key=True)

    def ids_by_key(self, text, limit=100):
        """Return the ids of (at most ``limit``) profiles whose profile_id or email is
        ``text`` (an email as stored: normalised), by their own indexes.

        For lists of rows pointing at profiles (memberships, orders, relations…) searched
        by their profile: filtering those rows by these ids uses their index of the
        profile, where a condition on the joined profile lets the planner walk the rows'
        own key looking for it (1 s at 20 M events).
        """
        text = (text or "").strip()
        if not text:
            return []
        key = Q(email=normalize_email(text)) if "@" in text else Q(profile_id=text.lower())
        return list(self.filter(key).values_list("pk", flat=True)[:limit])

    def search(self, text):
        """Match what a person types to find a profile; each alternative has an index.

        ``name:value`` looks for the value in the custom field ``name`` (where a database
        has such a field); anything else matches part of an email (a domain), a whole first
        and/or last name, a phone or the start of one (``+33612``), the start of a profile
        ID, a whole MD5 or XXH, and what apps add (a subscription's contact).

        On PostgreSQL each alternative is served by an index, so it combines index scans
        (BitmapOr) instead of reading every profile: emails by a trigram index (pg_trgm),
        names by their upper-case expression indexes, profile IDs and phones by prefix
        (``varchar_pattern_ops``), MD5 and XXH by their unique indexes, custom values by
        the GIN index on them. Phones and contacts are looked up first in their own tables,
        so the profile query needs no join.
        """
        text = (text or "").strip()
        if not text:
            return self
        field_query = self._custom_field_query(text)
        if field_query is not None:
            return self.filter(field_query)
        return self.filter(self._text_query(text))

    def _text_query(self, text):
        lowered = text.lower()
        query = Q(profile_id=lowered)
        if not any(char.isspace() for char in text):
            if len(lowered) >= SEARCH_SUBSTRING_MIN:
                query |= Q(email__contains=lowered)
            else:
                query |= Q(email__startswith=lowered)
            if HEX_RE.match(lowered):
                if len(lowered) >= SEARCH_PREFIX_MIN:
                    query |= Q(profile_id__startswith=lowered)
                if len(lowered) == 32:
                    query |= Q(md5=lowered)
                if len(lowered) == 16:
                    query |= Q(xxh=lowered)
        owners = _phone_owners(text)
        if owners:
            query |= Q(pk__in=owners)
        words = text.split()
        if len(words) == 2:
            query |= Q(last_name__iexact=words[1], first_name__iexact=words[0])
        query |= Q(first_name__iexact=text) | Q(last_name__iexact=text)
        for matcher in _search_matchers:
            extra = matcher(text)
            if extra is not None:
                query |= extra
        return query

    def _custom_field_query(self, text):
        """Return the Q of ``name:value`` over the custom fields of that name, or None when
        the text is not of that form or no database has such a field."""
        match = FIELD_SEARCH_RE.match(text)
        if not match:
            return None
        name, value = match["name"], match["value"].strip()
        fields = list(CustomField.objects.filter(name=name).only("database_id", "type", "options"))
        if not fields:
            return None
        query = Q(pk__in=[])  # a value no field of that name accepts matches nothing
        for custom_field in fields:
            try:
                cleaned = custom_field.clean_value(value)
            except ValidationError:
                continue
            query |= Q(database_id=custom_field.database_id) & custom_value_q(name, cleaned)
        return query


def custom_value_q(name, value):
    """Return the Q of profiles holding ``value`` in the custom field ``name``: containment
    on PostgreSQL (the GIN index answers it; a tag matches a profile holding it among
    others), the value itself elsewhere."""
    if connection.vendor == "postgresql":
        return Q(custom_values__contains={name: value})
    return Q(**{f"custom_values__{name}": value})


def _phone_owners(text):
    """Return the ids of the profiles (the newest ``SEARCH_PHONE_OWNERS``) with the phone
    ``text``, or a phone starting with it (``+33 612``), through the phone index."""
    numbers = []
    with contextlib.suppress(ValidationError):
        numbers.append(normalize_phone(text))
    digits = PHONE_PUNCTUATION_RE.sub("", text)
    if PHONE_PREFIX_RE.match(digits) and len(digits.lstrip("+")) >= SEARCH_PREFIX_MIN - 1:
        phones = ProfilePhone.objects.filter(number__startswith="+" + digits.lstrip("+"))
    elif numbers:
        phones = ProfilePhone.objects.filter(number__in=numbers)
    else:
        return []
    owners = phones.order_by("-profile_id").values_list("profile_id", flat=True)
    return list(owners[:SEARCH_PHONE_OWNERS])


def new_profile_id():
    return secrets.token_hex(12)


def validate_past_date(value):
    """A birthday has happened: refuse a date that has not yet begun anywhere (UTC+14)."""
    if value > (timezone.now() + timedelta(hours=14)).date():
        raise ValidationError("Enter a date that is not in the future.", code="future")


def avatar_path(profile, filename):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"avatars/{profile.profile_id}/{secrets.token_hex(8)}.{extension}"


class Profile(models.Model):
    """A customer: identifiers, standard fields, custom values and global status."""

    profile_id = models.CharField(
        max_length=24, unique=True, default=new_profile_id, editable=False
    )
    # Unique by constraints, not unique=True: PostgreSQL then builds no second, pattern
    # index for each (looked up whole only), two fewer indexes for every insert to update.
    md5 = models.CharField("MD5", max_length=32, editable=False)
    xxh = models.CharField("XXH", max_length=16, editable=False)
    # No index of its own: (database, status) and (database, email) start with it, and every
    # index costs each new profile a write (17 of them on PostgreSQL).
    database = models.ForeignKey(
        ProfileDatabase, on_delete=models.PROTECT, related_name="profiles", db_index=False
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBSCRIBED)

    # Contact
    email = models.EmailField(max_length=254, blank=True)
    phones = models.JSONField(default=list, blank=True)

    # Personal
    first_name = models.CharField(max_length=150, blank=True, validators=[validate_text])
    middle_name = models.CharField(max_length=150, blank=True, validators=[validate_text])
    last_name = models.CharField(max_length=150, blank=True, validators=[validate_text])
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(null=True, blank=True, validators=[validate_past_date])
    language = models.CharField(max_length=35, blank=True, validators=[language_validator])

    # Main: location pin
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    # Reg. data
    reg_date = models.DateTimeField("registration date", null=True, blank=True)
    reg_source = models.CharField(
        "registration source", max_length=200, blank=True, validators=[validate_text]
    )
    reg_ip = models.GenericIPAddressField("Reg IP", protocol="IPv4", null=True, blank=True)
    reg_country = models.CharField(
        "Reg Country", max_length=2, blank=True, validators=[country_code_validator]
    )
    reg_city = models.CharField("Reg City", max_length=100, blank=True, validators=[validate_text])

    # Tracked: the latest action
    ip = models.GenericIPAddressField("IP", protocol="IPv4", null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[country_code_validator])
    region = models.CharField(max_length=100, blank=True, validators=[validate_text])
    city = models.CharField(max_length=100, blank=True, validators=[validate_text])
    zip_code = models.CharField("ZIP code", max_length=20, blank=True, validators=[validate_text])
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])

    # UTM of the latest tagged click or form
    utm_source = models.CharField(max_length=200, blank=True, validators=[validate_text])
    utm_medium = models.CharField(max_length=200, blank=True, validators=[validate_text])
    utm_campaign = models.CharField(max_length=200, blank=True, validators=[validate_text])
    utm_term = models.CharField(max_length=200, blank=True, validators=[validate_text])
    utm_content = models.CharField(max_length=200, blank=True, validators=[validate_text])

    in_control_group = models.BooleanField("in global control group", default=False)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    custom_values = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)  # indexed with the id (Meta)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "email"], name="unique_email_per_database"),
            models.UniqueConstraint(fields=["md5"], name="unique_profile_md5"),
            models.UniqueConstraint(fields=["xxh"], name="unique_profile_xxh"),
        ]
        indexes = [
            models.Index(fields=["database", "status"]),
            # Search (ProfileQuerySet.search): names whole and case-insensitive, emails by
            # prefix (varchar_pattern_ops lets PostgreSQL use it for LIKE 'prefix%' under
            # any collation; other databases take a plain index).
            models.Index(Upper("last_name"), Upper("first_name"), name="profile_name_search"),
            models.Index(Upper("first_name"), name="profile_first_name_search"),
            models.Index(
                fields=["email"], name="profile_email_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # Profile IDs by prefix: Django's own index of the unique profile_id (on
            # PostgreSQL it adds a varchar_pattern_ops one, ``…_profile_id_…_like``; a second
            # copy was dropped by migration 0007). On PostgreSQL emails also have a trigram
            # index for any part of them (migration 0006, PostgreSQL only: no Meta index can
            # say it).
            # The list's orders (web.profiles.views.listing.SORTS): a page after a cursor
            # is read from the index, at page 1 or 20,000 alike. Names in alphabetical
            # order: the collated columns (ICU's root collation on PostgreSQL, SQLite's
            # "alphabetical"; core.collation), the columns' own collation staying C.
            models.Index(
                Alphabetical("last_name"),
                Alphabetical("first_name"),
                F("id"),
                name="profile_name_alphabetical",
            ),
            models.Index(fields=["email", "id"], name="profile_email_sort"),
            models.Index(fields=["status", "id"], name="profile_status_sort"),
            # The admin's sort by creation; the date filter's ranges too.
            models.Index(fields=["created_at", "id"], name="profile_created_sort"),
        ]
        permissions = [("export_profile", "Can export a profile's personal data")]

    def __str__(self):
        name = self.full_name()
        return f"{name} <{self.email}>" if name else self.email or self.profile_id

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._remember_phones()

    def save(self, *args, **kwargs):
        self.prepare_identifiers()
        phones_changed = self._loaded_phones != list(self.phones or [])
        adding = self._state.adding
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            if phones_changed:
                if not adding:
                    self.phone_index.all().delete()
                ProfilePhone.objects.bulk_create(
                    ProfilePhone(profile=self, database_id=self.database_id, number=number)
                    for number in self.phones
                )
        self._loaded_phones = list(self.phones or [])

    def get_absolute_url(self):
        return reverse("profiles:detail", args=[self.profile_id])

    def _remember_phones(self):
        # Read __dict__, not the attributes: a deferred field (``.only()``, ``.defer()``) would
        # load itself by building another Profile, whose __init__ would load it again, forever.
        loaded = self.__dict__ if self.pk else {}
        self._loaded_phones = list(loaded["phones"] or []) if "phones" in loaded else None

    @classmethod
    def from_db(cls, db, field_names, values):
        """A profile read from the database, made without ``Model.__init__`` (Django's hook
        for customising loading): that visits each of the 37 fields and sends two signals,
        about 30 µs a profile, more than reading and writing out its row for a page of the
        API. The instance is the one ``__init__`` makes: the values loaded by attribute
        name (the fields not loaded read when first used), its state, the phones it was
        loaded with. While anything listens to the model's init signals, Django's way."""
        if pre_init.has_listeners(cls) or post_init.has_listeners(cls):
            return super().from_db(db, field_names, values)
        profile = cls.__new__(cls)
        profile.__dict__.update(zip(field_names, values, strict=True))
        profile._state = ModelState()
        profile._state.adding, profile._state.db = False, db
        profile._remember_phones()
        return profile

    def prepare_identifiers(self):
        """Set what is derived from the profile ID and the email before a write (a bulk
        insert calls it, as ``save`` does): the email normalised or the fallback, MD5, XXH."""
        self.email = normalize_email(self.email) or self.fallback_email()
        self.md5 = hashlib.md5(self.profile_id.encode(), usedforsecurity=False).hexdigest()
        self.xxh = xxhash.xxh64_hexdigest(self.profile_id.encode())

    def full_name(self):
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    def initials(self):
        letters = (self.first_name[:1] + self.last_name[:1]) or self.email[:1]
        return letters.upper() or "?"

    def fallback_email(self):
        return f"{self.profile_id}@localhost"

    def has_fallback_email(self):
        return self.email == self.fallback_email()

    def custom_value(self, name):
        return (self.custom_values or {}).get(name)

    def detect_location(self, fields=("reg_country", "country")):
        """Fill the countries from Reg IP and the latest IP where they are not set."""
        if "reg_country" in fields and self.reg_ip and not self.reg_country:
            self.reg_country = country_from_ip(self.reg_ip)
        if "country" in fields and self.ip and not self.country:
            self.country = country_from_ip(self.ip)


# (an IP field, the country field it locates), for location detection.
LOCATION_SOURCES = [("reg_ip", "reg_country"), ("ip", "country")]


def locate(values, profile=None):
    """Add to ``values`` what each IP they set (or change) without its country says, found
    offline: the Reg Country of ``reg_ip``; for ``ip``, the Tracked location as an action
    from it sets it (``profiles.location``: country, time zone, the old place cleared when
    the country changes), the values given winning. ``profile`` is the profile before the
    change (None: a new one)."""
    for ip, country in LOCATION_SOURCES:
        address = values.get(ip)
        if not address or country in values or address == getattr(profile, ip, None):
            continue
        if ip == "ip":
            for name, value in location_change(profile, address).items():
                values.setdefault(name, value)
        else:
            values[country] = country_from_ip(address)
    return values


class CheckedValues(dict):
    """Profile values checked by ``check_profile_values``, ready to be written as they are."""


def check_profile_values(
    database, values, *, profile=None, replace_custom_values=False, check_email=True
):
    """Check values for a new profile of ``database``, or for a change of ``profile``.

    ``values`` maps standard field names to values, and ``custom_values`` to a dict of
    custom values (changing only the fields it names, unless ``replace_custom_values``;
    a new profile's replace nothing). Each standard value is checked by its model field,
    the email is normalised and must be free in the database, custom values are checked
    by the database's custom fields (required ones included, on a new profile too).
    ``check_email=False`` leaves the email's owner to the caller (an import checks the
    emails of its whole batch in one query).

    Return the checked values (``CheckedValues``); raise ValidationError keyed by field
    name, a custom value's error under ``custom_values.<name>``. Nothing is written.
    """
    return ProfileValuesCheck(database).check(
        values,
        profile=profile,
        replace_custom_values=replace_custom_values,
        check_email=check_email,
    )


class ProfileValuesCheck:
    """``check_profile_values`` for many rows of one database (an import's batch): the
    database's custom fields are read once, not once per row, and each standard field's
    check is the one prepared for the process (``standard_check``)."""

    def __init__(self, database):
        self.database = database
        self.owner = f"database “{database.name}”"
        self._definitions = None

    def prepare(self):
        """Read now what the checks read from the database (for checks made while a COPY
        holds the connection, when no query may run)."""
        return self.definitions

    @property
    def definitions(self):
        """The database's custom fields, read when a row first has custom values to check
        (a change of standard values only reads none)."""
        if self._definitions is None:
            self._definitions = list(self.database.custom_fields.all())
        return self._definitions

    def check(self, values, *, profile=None, replace_custom_values=False, check_email=True):
        """Check one row's values; see ``check_profile_values``."""
        checked, errors = CheckedValues(), {}
        for name, value in values.items():
            if name == "custom_values":
                continue
            clean = standard_check(name)
            if clean is None:
                errors[name] = ["This field is set by the product, not written."]
                continue
            try:
                checked[name] = clean(value, profile)
            except ValidationError as error:
                errors[name] = error.messages
        if "custom_values" in values or profile is None:
            current = None if profile is None or replace_custom_values else profile.custom_values
            change, custom_errors = check_change(
                self.definitions, values.get("custom_values", {}), current=current, owner=self.owner
            )
            errors |= keyed_errors(custom_errors)
            checked["custom_values"] = change
        email = checked.get("email")
        if email and check_email and email_taken(self.database, email, exclude=profile):
            errors["email"] = [
                f"Another profile of database “{self.database}” has the email {email}."
            ]
        if errors:
            raise ValidationError(errors)
        return checked


@functools.cache
def standard_check(name):
    """Return the check of a standard field's value, ``check(value, profile)`` (the value
    normalised, or ValidationError), or None for a field no write sets. Built once per
    process: the model field's ``clean``, after the email's or the phones' normaliser."""
    if name not in EDITABLE:
        return None
    model_field = Profile._meta.get_field(name)
    clean = _plain_text_check(model_field) or model_field.clean
    if name == "email":
        return lambda value, profile: clean(normalize_email(value), profile)
    if name == "phones":
        return lambda value, profile: _clean_phones(
            model_field, normalize_phones(value or []), profile
        )
    return clean


def _plain_text_check(model_field):
    """Return a check equal to ``model_field.clean`` for a text field, quicker for the
    usual value (a text its ``clean`` returns as it is: no conversion, one of its choices,
    its validators passing), or None for a field of another kind. Anything else, and a
    value a validator refuses, goes through ``clean``, so the messages are the field's."""
    kind = type(model_field)
    if kind.to_python is not models.CharField.to_python or kind.validate is not Field.validate:
        return None
    if kind.clean is not Field.clean or kind.run_validators is not Field.run_validators:
        return None
    accepts = [_acceptance(validator) for validator in model_field.validators]
    choices = {key for key, _ in model_field.flatchoices} if model_field.choices else None
    blank = model_field.blank

    def check(value, profile):
        if value.__class__ is str:
            if not value:
                if blank:
                    return value
            elif choices is None or value in choices:
                for accepted in accepts:
                    if not accepted(value):
                        break
                else:
                    return value
        return model_field.clean(value, profile)

    return check


def _acceptance(validator):
    """Return ``accepts(text)``: whether the validator lets the text pass. The usual ones
    answer without building their error's parameters or going through Django's lazy
    regexes, and an email's domain is checked once per domain (a file holds a few)."""
    kind = type(validator)
    if kind is MaxLengthValidator and isinstance(validator.limit_value, int):
        limit = validator.limit_value
        return lambda value: len(value) <= limit
    if kind is EmailValidator:
        return _email_acceptance(validator)

    def accepts(value):
        try:
            validator(value)
        except ValidationError:
            return False
        return True

    return accepts


def _email_acceptance(validator):
    """``EmailValidator.__call__``'s test, without raising (Django 5.2's, step by step)."""
    user_match = validator.user_regex.match
    allowlist = validator.domain_allowlist
    domain_ok = functools.lru_cache(maxsize=4096)(validator.validate_domain_part)

    def accepts(value):
        if not value or "@" not in value or len(value) > EMAIL_MAX_LENGTH:
            return False
        user_part, domain_part = value.rsplit("@", 1)
        if not user_match(user_part):
            return False
        return domain_part in allowlist or domain_ok(domain_part)

    return accepts


def _clean_phones(model_field, phones, profile):
    """The phones' field check: a list of texts (what ``normalize_phones`` returns) is
    one its ``clean`` keeps as it is (valid JSON, no validators), so it is not encoded
    again to find that out."""
    plain = not (model_field.validators or model_field.choices is not None) and model_field.blank
    if not plain or model_field.encoder is not None:
        return model_field.clean(phones, profile)
    return phones


def email_taken(database, email, exclude=None):
    others = Profile.objects.filter(database=database, email=email)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


class ProfilePhone(models.Model):
    """One phone of a profile, kept beside ``Profile.phones`` so a phone is found by index."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="phone_index")
    # Indexed by (database, number) below, which starts with it.
    database = models.ForeignKey(
        ProfileDatabase, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    number = models.CharField(max_length=20)

    class Meta:
        indexes = [
            models.Index(fields=["database", "number"]),
            # Whole phones and their starts (the search's "+33612"): a pattern index answers
            # both on PostgreSQL under any collation.
            models.Index(
                fields=["number"], name="profile_phone_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return self.number
