"""Load demo data and print the demo logins.

    python manage.py seed_demo [--profiles 1000] [--seed 2024] [--reset-passwords]

Creates three profile databases ("Online store", "Newsletter", "Mobile app") with custom
fields of all 8 types, about 1,000 profiles with varied, consistent values (names and
cities of the profile's country, IPs that locate to it offline, valid E.164 phones), 30
days of history per profile (mailings sent, delivered, opened and clicked, pixels, promo
codes, status changes behind the statuses), static segments with members, trigger mailings
and scenarios (with the participations of the last 30 days), a formed global control group
of 5 % per database, a superuser
``demo`` and a ``marketer`` in the "Marketers" group (view, add, change and export
profiles; no delete) who is a member of every database.

Idempotent: a database that already has profiles is left alone, so ``make run`` can call
it on every start; then it only checks the logins and prints them. Values come from a
seeded random generator (Faker included); profile ids stay random as everywhere else.
Demo emails use reserved example domains, so no real mailbox is named.
"""

import math
import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from faker import Faker

from core.fieldtypes import is_empty
from core.status import Status
from core.text import country_from_ip, normalize_phone
from history.models import Event
from history.types import IMPORT_SOURCES
from interactions.models import ControlGroup, Participation, Scenario, Trigger, current_period
from loyalty.models import Program, Promotion, Tier
from market.models import Order, OrderLine, Product
from market.roles import MARKET_GROUP, MARKET_PERMISSIONS
from operations import loyalty as loyalty_operations
from operations import promos as promo_operations
from operations import webforms as form_operations
from operations.pixels import record_hit
from operations.profiles import suppress_address
from pixels.models import Goal, Pixel
from profiles.models import CustomField, Gender, Profile, ProfileDatabase
from promos.models import PromoPool
from relations.models import Relation, RelationType
from segments.models import Segment, SegmentMembership
from subscriptions.models import Category, Channel, Resource, Subscription
from webforms.models import Form

DAYS = 30
IMPORT_TYPES = {event_type: source for source, event_type in IMPORT_SOURCES.items()}
EVENT_BATCH = 2000
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "post.example"]

# country: (Faker locale, language tag, weight)
COUNTRIES = {
    "US": ("en_US", "en", 28),
    "DE": ("de_DE", "de", 14),
    "GB": ("en_GB", "en-GB", 10),
    "FR": ("fr_FR", "fr", 10),
    "ES": ("es_ES", "es", 7),
    "IT": ("it_IT", "it", 7),
    "BR": ("pt_BR", "pt-BR", 7),
    "NL": ("nl_NL", "nl", 5),
    "PL": ("pl_PL", "pl", 5),
    "CA": ("en_CA", "en-CA", 4),
    "AU": ("en_AU", "en-AU", 3),
}
STATUS_WEIGHTS = {
    Status.SUBSCRIBED: 80,
    Status.UNSUBSCRIBED: 7,
    Status.UNCONFIRMED: 5,
    Status.HARD_BOUNCED: 3,
    Status.COMPLAINER: 2,
    Status.SUSPENDED: 1.5,
    Status.INVALID: 1.5,
}
# What a status change is recorded as coming from, and the event that caused it.
STATUS_CAUSES = {
    Status.UNSUBSCRIBED: ("api", "unsubscribe_click"),
    Status.HARD_BOUNCED: ("hard_bounce", "hard_bounce"),
    Status.COMPLAINER: ("complaint", "complaint"),
    Status.SUSPENDED: ("ui", None),
    Status.INVALID: ("api", None),
}
MARKETER_PERMISSIONS = {
    "profiles": [
        "view_profile",
        "add_profile",
        "change_profile",
        "export_profile",
        "view_profiledatabase",
        "view_customfield",
    ],
    "history": ["view_event"],
    "pixels": ["view_pixel", "view_goal", "view_anonymoushit"],
    "webforms": ["view_form", "view_submission"],
    "loyalty": [
        "view_program",
        "view_membership",
        "add_membership",
        "view_transaction",
        "add_transaction",
    ],
    "promos": ["view_promopool", "view_promocode", "attach_promocode"],
    "relations": ["view_relationtype", "view_relation", "add_relation", "delete_relation"],
    "segments": ["view_segment", "view_segmentmembership"],
    "interactions": [
        "view_trigger",
        "send_trigger",
        "view_scenario",
        "engage_scenario",
        "view_participation",
        "view_controlgroup",
    ],
    "subscriptions": [
        "view_subscription",
        "add_subscription",
        "change_subscription",
        "view_resource",
        "view_channel",
        "view_category",
    ],
}


# -- What each demo database holds -------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """A custom field and how a demo value is made for a person (None: no value)."""

    name: str
    label: str
    type: str
    make: object
    options: tuple = ()
    required: bool = False


@dataclass(frozen=True)
class Mailing:
    name: str
    weekdays: tuple  # 0 = Monday
    hour: int
    channel: str
    path: str


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    wants: object  # (person) -> bool


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    description: str
    share: float
    resource: str
    sources: tuple
    imports: tuple  # event types of how profiles came, weighted alike
    no_email: float
    fields: tuple
    mailings: tuple
    segments: tuple
    site: str
    pixels: bool = False
    promos: bool = False


# The categories of each database's resource (a subscription is subscribed to some).
RESOURCE_CATEGORIES = {
    "Online store newsletter": ("Sales", "New arrivals", "Recommendations"),
    "Editorial newsletter": ("Tech", "Travel", "Food", "Finance"),
    "Mobile app": ("Reminders", "New features"),
}
STORE_CATEGORIES = ("Electronics", "Books", "Home & garden", "Clothing", "Sports", "Beauty")
STORE_INTERESTS = ("sale hunter", "gadgets", "eco", "gifts", "premium", "kids", "outdoor")
TOPICS = ("tech", "travel", "food", "finance", "culture", "sports")

DATABASES = (
    DatabaseSpec(
        name="Online store",
        description="Customers of the web shop: orders, loyalty card, interests.",
        share=0.5,
        resource="Online store newsletter",
        sources=("checkout", "account sign-up", "newsletter pop-up", "POS import"),
        imports=("import_api", "import_api", "import_file", "import_manual"),
        no_email=0.02,
        site="https://shop.example",
        pixels=True,
        promos=True,
        fields=(
            FieldSpec("orders_count", "Orders", "number", lambda p: p.orders),
            FieldSpec(
                "average_check",
                "Average check, €",
                "float",
                lambda p: round(p.rng.uniform(12, 240), 2) if p.orders else None,
            ),
            FieldSpec(
                "favourite_category",
                "Favourite category",
                "enum",
                lambda p: p.rng.choice(STORE_CATEGORIES) if p.orders else None,
                options=STORE_CATEGORIES,
            ),
            FieldSpec(
                "last_order_date",
                "Last order",
                "date",
                lambda p: p.last_order.isoformat() if p.orders else None,
            ),
            FieldSpec("loyalty_card", "Loyalty card", "boolean", lambda p: p.rng.random() < 0.35),
            FieldSpec(
                "interests",
                "Interests",
                "tags",
                lambda p: p.rng.sample(STORE_INTERESTS, p.rng.randint(0, 3)) or None,
            ),
            FieldSpec("checkout_ip", "Checkout IP", "ip", lambda p: p.ip if p.orders else None),
            FieldSpec(
                "customer_note",
                "Note",
                "line",
                lambda p: p.fake.sentence(nb_words=6) if p.rng.random() < 0.15 else None,
            ),
        ),
        mailings=(
            Mailing("Weekly picks", (1,), 9, "email", "/picks"),
            Mailing("Flash sale", (4,), 16, "email", "/sale"),
        ),
        segments=(
            SegmentSpec("VIP customers", lambda p: p.orders >= 12),
            SegmentSpec("Cart abandoners", lambda p: p.rng.random() < 0.06),
        ),
    ),
    DatabaseSpec(
        name="Newsletter",
        description="Readers of the editorial newsletter, with double opt-in.",
        share=0.3,
        resource="Editorial newsletter",
        sources=("website form", "landing page", "partner list", "event badge scan"),
        imports=("import_manual", "import_file", "import_api"),
        no_email=0.0,
        site="https://news.example",
        fields=(
            FieldSpec(
                "frequency",
                "Frequency",
                "enum",
                lambda p: p.frequency,
                options=("daily", "weekly", "monthly"),
                required=True,
            ),
            FieldSpec(
                "topics", "Topics", "tags", lambda p: p.rng.sample(TOPICS, p.rng.randint(1, 3))
            ),
            FieldSpec(
                "double_opt_in",
                "Double opt-in",
                "boolean",
                lambda p: p.confirmed and p.status != Status.UNCONFIRMED,
            ),
            FieldSpec("signup_ip", "Sign-up IP", "ip", lambda p: p.reg_ip),
            FieldSpec(
                "subscribed_since", "Subscribed since", "date", lambda p: p.reg_date.isoformat()
            ),
            FieldSpec(
                "referrer",
                "Referrer",
                "line",
                lambda p: p.rng.choice(["friend", "search", "instagram", "podcast", None]),
            ),
            FieldSpec(
                "articles_read",
                "Articles read",
                "number",
                lambda p: p.rng.randint(0, 400),
            ),
        ),
        mailings=(
            Mailing("Daily digest", (0, 1, 2, 3, 4), 7, "email", "/daily"),
            Mailing("Weekly digest", (5,), 8, "email", "/weekly"),
            Mailing("Monthly roundup", (), 8, "email", "/monthly"),
        ),
        segments=(
            SegmentSpec(
                "Tech readers", lambda p: "tech" in (p.custom.get("topics") or ()) and p.email
            ),
        ),
    ),
    DatabaseSpec(
        name="Mobile app",
        description="Users of the mobile app; many signed up with a phone only.",
        share=0.2,
        resource="Mobile app",
        sources=("iOS sign-up", "Android sign-up", "referral link"),
        imports=("import_push", "import_api"),
        no_email=0.2,
        site="https://app.example",
        fields=(
            FieldSpec(
                "app_version",
                "App version",
                "line",
                lambda p: p.rng.choice(["3.2.1", "3.2.0", "3.1.4", "2.9.8"]),
                required=True,
            ),
            FieldSpec(
                "platform",
                "Platform",
                "enum",
                lambda p: p.rng.choice(["iOS", "Android"]),
                options=("iOS", "Android"),
            ),
            FieldSpec("sessions", "Sessions", "number", lambda p: p.rng.randint(1, 900)),
            FieldSpec(
                "rating",
                "Store rating",
                "float",
                lambda p: round(p.rng.uniform(1, 5), 1) if p.rng.random() < 0.3 else None,
            ),
            FieldSpec("push_enabled", "Push enabled", "boolean", lambda p: p.rng.random() < 0.7),
            FieldSpec("last_seen", "Last seen", "date", lambda p: p.last_seen.isoformat()),
            FieldSpec("device_ip", "Device IP", "ip", lambda p: p.ip),
        ),
        mailings=(
            Mailing("Daily streak reminder", (0, 2, 4), 18, "push", "/streak"),
            Mailing("New feature", (3,), 12, "push", "/whats-new"),
        ),
        segments=(SegmentSpec("Beta testers", lambda p: p.rng.random() < 0.1),),
    ),
)


# -- Demo people ---------------------------------------------------------------------------


@dataclass
class Person:
    """Everything drawn for one demo profile before it is saved."""

    rng: random.Random
    fake: Faker
    now: datetime
    country: str
    language: str
    reg_date: datetime
    reg_ip: str
    ip: str
    status: str
    orders: int
    last_order: datetime
    last_seen: datetime
    frequency: str
    confirmed: bool
    email: str = ""
    custom: dict = field(default_factory=dict)
    in_control_group: bool = False
    utm: dict = field(default_factory=dict)
    timeline: list = field(default_factory=list)


class Generator:
    """Seeded source of consistent demo values: names, places, IPs and phones per country."""

    def __init__(self, seed, now):
        self.rng = random.Random(seed)
        self.now = now
        self.fakers = {}
        for country, (locale, _, _) in COUNTRIES.items():
            self.fakers[country] = Faker(locale)
            self.fakers[country].seed_instance(seed)
        self.ips = self._ip_pools(per_country=60)

    def _ip_pools(self, per_country):
        """Draw public IPv4 addresses until every country has enough that locate to it."""
        pools = {country: [] for country in COUNTRIES}
        for _ in range(400_000):
            ip = ".".join(str(self.rng.randint(1, 254)) for _ in range(4))
            pool = pools.get(country_from_ip(ip))
            if pool is not None and len(pool) < per_country:
                pool.append(ip)
                if all(len(p) >= per_country for p in pools.values()):
                    break
        missing = [country for country, pool in pools.items() if not pool]
        if missing:
            raise CommandError(f"No IP address locates to {', '.join(missing)}.")
        return pools

    def country(self):
        countries = list(COUNTRIES)
        return self.rng.choices(countries, weights=[COUNTRIES[c][2] for c in countries])[0]

    def phone(self, country):
        """Return a valid E.164 mobile number of the country (its example, other digits)."""
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        digits = str(example.national_number)
        for _ in range(20):
            tail = "".join(str(self.rng.randint(0, 9)) for _ in range(5))
            candidate = f"+{example.country_code}{digits[:-5]}{tail}"
            try:
                return normalize_phone(candidate)
            except ValidationError:
                continue
        return normalize_phone(f"+{example.country_code}{digits}")

    def moment(self, days_ago_max, days_ago_min=0):
        seconds = self.rng.uniform(days_ago_min * 86400, days_ago_max * 86400)
        return self.now - timedelta(seconds=seconds)

    def after(self, start, moment):
        """Return moment, or a little after start when moment comes before it (never future)."""
        if moment <= start:
            moment = start + timedelta(minutes=self.rng.randint(1, 120))
        return min(moment, self.now)

    def person(self):
        rng = self.rng
        country = self.country()
        reg_date = self.moment(900) if rng.random() < 0.85 else self.moment(DAYS)
        traveller = rng.random() < 0.12
        here = self.rng.choice([c for c in COUNTRIES if c != country]) if traveller else country
        return Person(
            rng=rng,
            fake=self.fakers[country],
            now=self.now,
            country=country,
            language=COUNTRIES[country][1],
            reg_date=reg_date,
            reg_ip=rng.choice(self.ips[country]),
            ip=rng.choice(self.ips[here]),
            status=rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0],
            orders=min(int(rng.expovariate(1 / 4)), 60) if rng.random() < 0.8 else 0,
            last_order=self.moment(400),
            last_seen=self.moment(DAYS),
            frequency=rng.choices(["daily", "weekly", "monthly"], weights=[2, 5, 2])[0],
            confirmed=rng.random() < 0.9,
        )


def ascii_slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum())


# -- Building one database -----------------------------------------------------------------


def save_in_registration_order(people):
    """Save the profiles of every database in the order their people registered, as a live
    system would have: ids then follow ``created_at``, and the list's "newest first" (by
    id) reads as its Created column does."""
    people = sorted(people, key=lambda pair: pair[0].reg_date)
    for person, profile in people:
        profile.save()  # keeps the phone index, as everywhere
        if profile.status == Status.HARD_BOUNCED:
            suppress_address(profile)
        profile.created_at = person.reg_date
        for event in person.timeline:
            event.profile = profile
    Profile.objects.bulk_update([profile for _, profile in people], ["created_at"], batch_size=500)


class DatabaseSeeder:
    """Create one demo database's fields, profiles, history and segments."""

    def __init__(self, spec, generator):
        self.spec = spec
        self.gen = generator
        self.rng = generator.rng
        self.now = generator.now
        self.emails = set()
        self.events = []

    def build(self, count):
        """Return the database and its (person, unsaved profile) pairs; none if it has
        profiles already."""
        database, _ = ProfileDatabase.objects.get_or_create(
            name=self.spec.name, defaults={"description": self.spec.description}
        )
        definitions = self.ensure_fields(database)
        if database.profiles.exists():
            return database, []
        people = []
        for _ in range(count):
            person = self.gen.person()
            profile = self.build_profile(database, definitions, person)
            people.append((person, profile))
        return database, people

    def finish(self, database, people):
        """Give the saved profiles their segments, subscriptions, interactions and relations;
        return their history."""
        if not people:
            return []
        for person, _ in people:
            self.events.extend(person.timeline)
        self.ensure_segments(database, people)
        self.ensure_subscriptions(people)
        self.ensure_interactions(database, people)
        seed_relations(database, [profile for _, profile in people], self.rng)
        return self.events

    def ensure_fields(self, database):
        definitions = []
        for position, spec in enumerate(self.spec.fields):
            definition, _ = CustomField.objects.get_or_create(
                database=database,
                name=spec.name,
                defaults={
                    "label": spec.label,
                    "type": spec.type,
                    "options": list(spec.options),
                    "required": spec.required,
                    "position": position,
                },
            )
            definitions.append((spec, definition))
        return definitions

    def build_profile(self, database, definitions, person):
        rng, fake = self.rng, person.fake
        gender = rng.choices(
            [Gender.FEMALE, Gender.MALE, Gender.OTHER, ""], weights=[48, 47, 2, 3]
        )[0]
        first = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
        last = fake.last_name()
        lat, lng, city, _, tz = fake.local_latlng(person.country)
        here = country_from_ip(person.ip)
        # The map pin is where the tracked city is (never a pin that contradicts the city);
        # the registration city may be elsewhere.
        tracked_city = city
        if here != person.country:
            lat, lng, tracked_city, _, tz = self.gen.fakers[here].local_latlng(here)
        elif rng.random() >= 0.8:
            lat, lng, tracked_city, _, tz = fake.local_latlng(here)
        if rng.random() >= self.spec.no_email:
            person.email = self.unique_email(first, last)
        phones = []
        if rng.random() < (0.9 if self.spec.name == "Mobile app" else 0.6):
            phones.append(self.gen.phone(person.country))
            if rng.random() < 0.12:
                phones.append(self.gen.phone(here))
        for spec, definition in definitions:
            value = spec.make(person)
            if not is_empty(value):
                person.custom[spec.name] = definition.clean_value(value)
        person.timeline = self.timeline(person)
        profile = Profile(
            database=database,
            status=person.status,
            email=person.email,
            phones=list(dict.fromkeys(phones)),
            first_name=first,
            middle_name=fake.first_name() if person.country == "US" and rng.random() < 0.2 else "",
            last_name=last,
            gender=gender,
            birthday=fake.date_of_birth(minimum_age=18, maximum_age=80)
            if rng.random() < 0.85
            else None,
            language=person.language if rng.random() < 0.9 else "",
            latitude=Decimal(lat).quantize(Decimal("0.000001")),
            longitude=Decimal(lng).quantize(Decimal("0.000001")),
            reg_date=person.reg_date,
            reg_source=rng.choice(self.spec.sources),
            reg_ip=person.reg_ip,
            reg_city=city,
            ip=person.ip,
            city=tracked_city,
            zip_code=fake.postcode() if here == person.country else "",
            timezone=tz,
            in_control_group=person.in_control_group,
            custom_values=person.custom,
        )
        profile.detect_location()  # Reg Country and Country from the IPs, offline
        for tag, value in person.utm.items():
            setattr(profile, tag, value)
        return profile

    def unique_email(self, first, last):
        first, last = ascii_slug(first) or "customer", ascii_slug(last) or "demo"
        pattern = self.rng.choice(["{f}.{l}", "{f}{l}", "{i}.{l}", "{f}_{l}{n}", "{f}{n}"])
        domain = self.rng.choice(EMAIL_DOMAINS)
        local = pattern.format(f=first, l=last, i=first[0], n=self.rng.randint(1, 99))
        email, n = f"{local}@{domain}", 2
        while email in self.emails:
            email, n = f"{local}{n}@{domain}", n + 1
        self.emails.add(email)
        return email

    # -- History ---------------------------------------------------------------------------

    def timeline(self, person):
        """Return the person's unsaved events: how they came, then the last 30 days."""
        rng, events = self.rng, []
        window = self.now - timedelta(days=DAYS)

        def add(type, at, **data):
            if at <= self.now:
                events.append(Event(type=type, occurred_at=at, recorded_at=at, data=data))

        how = rng.choice(self.spec.imports)
        add(how, person.reg_date, source=IMPORT_TYPES[how])
        start = max(window, person.reg_date)
        person.in_control_group = rng.random() < 0.05
        group_from = self.gen.moment(DAYS) if person.in_control_group else None
        if group_from:
            add("control_group_entered", self.gen.after(start, group_from))
        active_from, active_until = start, self.now
        if person.status == Status.UNCONFIRMED:
            active_until = start  # never confirmed: nothing is sent
        elif self.spec.name == "Newsletter" and person.reg_date >= window and person.confirmed:
            confirmed_at = person.reg_date + timedelta(minutes=rng.randint(2, 600))
            add("confirmation_click", confirmed_at, resource=self.spec.resource, channel="email")
            add(
                "status_changed",
                confirmed_at,
                **{"from": Status.UNCONFIRMED, "to": Status.SUBSCRIBED},
                source="confirmation_click",
            )
            active_from = confirmed_at
        if person.status in STATUS_CAUSES:
            if rng.random() < 0.7 or person.reg_date >= window:
                active_until = self.gen.after(active_from, self.gen.moment(DAYS))
            else:
                active_until = window  # changed before the 30 days: no trace in them
        engagement = rng.betavariate(2, 4)
        person.utm, last_mailing = {}, None
        for mailing, sent_at, campaign in self._mailings(person):
            if not active_from <= sent_at < active_until:
                continue
            if group_from and sent_at >= group_from:
                continue
            last_mailing = (mailing, sent_at, campaign)
            self._mailing_events(add, person, mailing, sent_at, campaign, engagement)
        if person.status in STATUS_CAUSES and active_until > window:
            self._status_change(add, person, active_until, last_mailing)
        if self.spec.pixels and person.orders and person.status != Status.UNCONFIRMED:
            for _ in range(rng.randint(0, 3)):
                self._pixel(add, person, self.gen.after(start, self.gen.moment(DAYS)))
        return events

    def _mailings(self, person):
        """Yield (mailing, sent at, campaign name) for the mailings this person is sent."""
        first_day = (self.now - timedelta(days=DAYS)).date()
        for offset in range(DAYS + 1):
            day = first_day + timedelta(days=offset)
            for mailing in self.spec.mailings:
                if self.spec.name == "Newsletter" and not mailing.name.lower().startswith(
                    person.frequency
                ):
                    continue
                monthly = not mailing.weekdays and day.day == 1
                if day.weekday() not in mailing.weekdays and not monthly:
                    continue
                sent_at = datetime(day.year, day.month, day.day, mailing.hour, tzinfo=UTC)
                sent_at += timedelta(seconds=self.rng.randint(0, 1800))
                yield mailing, sent_at, f"{mailing.name} {day:%d %b}"

    def _mailing_events(self, add, person, mailing, sent_at, campaign, engagement):
        rng = self.rng
        data = {"mailing": campaign, "resource": self.spec.resource, "channel": mailing.channel}
        add("send", sent_at, **data)
        if rng.random() < 0.02:
            return
        delivered = sent_at + timedelta(seconds=rng.randint(2, 300))
        add("delivery", delivered, **data)
        if rng.random() > engagement:
            return
        opened = delivered + timedelta(minutes=rng.expovariate(1 / 120))
        add("open", opened, **data)
        if mailing.channel == "email" and rng.random() < 0.5:
            add("read", opened + timedelta(seconds=rng.randint(10, 240)), **data)
        if rng.random() < 0.35:
            tags = {
                "utm_source": self.spec.resource.lower().replace(" ", "_"),
                "utm_medium": mailing.channel,
                "utm_campaign": ascii_slug(mailing.name) + f"_{sent_at:%Y%m%d}",
            }
            if rng.random() < 0.3:
                tags["utm_content"] = rng.choice(["hero", "footer", "button"])
            url = f"{self.spec.site}{mailing.path}?" + "&".join(f"{k}={v}" for k, v in tags.items())
            clicked = opened + timedelta(seconds=rng.randint(5, 600))
            add("click", clicked, url=url, **data, **tags)
            if clicked <= self.now:
                person.utm = tags | {
                    tag: "" for tag in ("utm_term", "utm_content") if tag not in tags
                }

    def _status_change(self, add, person, at, last_mailing):
        source, cause = STATUS_CAUSES[person.status]
        if cause and last_mailing:
            mailing, sent_at, campaign = last_mailing
            data = {"mailing": campaign, "resource": self.spec.resource, "channel": mailing.channel}
            if cause == "hard_bounce":
                data["reason"] = "550 5.1.1 The email account does not exist"
            at = min(max(at, sent_at + timedelta(minutes=5)), self.now)
            add(cause, at, **data)
        add("status_changed", at, **{"from": Status.SUBSCRIBED, "to": person.status}, source=source)

    def _pixel(self, add, person, at):
        goal = self.rng.choice(["purchase", "view", "view", "add_to_cart"])
        page = "checkout/complete" if goal == "purchase" else f"p/{self.rng.randint(1000, 9999)}"
        data = {
            "goal": goal,
            "url": f"{self.spec.site}/{page}",
            "ip": person.ip,
            "geo": {"country": country_from_ip(person.ip)},
            "pixel_data": {"session": f"{self.rng.getrandbits(64):016x}"},
        }
        if goal == "purchase":
            data["value"] = round(self.rng.uniform(15, 300), 2)
        add("pixel", at, **data)

    # -- Subscriptions -------------------------------------------------------------------

    def ensure_subscriptions(self, people):
        """Subscribe people to the database's resource in the channels its mailings use.

        The email subscription carries the profile's global status; SMS (for some with a
        phone) and push (app users) are mostly subscribed. Written in bulk: the demo is
        loaded, not made by anyone, so it has no audit entries.
        """
        rng = self.rng
        used = {mailing.channel for mailing in self.spec.mailings} | {"email", "sms"}
        channels = {channel.slug: channel for channel in Channel.objects.filter(slug__in=used)}
        resource, created = Resource.objects.get_or_create(name=self.spec.resource)
        if created:
            resource.channels.set(channels.values())
        categories = [
            Category.objects.get_or_create(resource=resource, name=name)[0]
            for name in RESOURCE_CATEGORIES.get(self.spec.resource, ())
        ]
        subscriptions, chosen = [], []
        for person, profile in people:
            for slug, contact, status in self.contacts(person, profile):
                if slug not in channels:
                    continue
                subscriptions.append(
                    Subscription(
                        profile=profile,
                        resource=resource,
                        channel=channels[slug],
                        contact=contact,
                        status=status,
                        reg_date=profile.reg_date,
                        reg_ip=profile.reg_ip,
                        reg_source=profile.reg_source,
                    )
                )
                picked = [c for c in categories if rng.random() < 0.7] or categories[:1]
                chosen.append(picked)
        Subscription.objects.bulk_create(subscriptions, batch_size=500)
        for subscription in subscriptions:  # created when the person signed up
            subscription.created_at = subscription.profile.created_at
        Subscription.objects.bulk_update(subscriptions, ["created_at"], batch_size=500)
        Through = Subscription.categories.through
        Through.objects.bulk_create(
            (
                Through(subscription_id=subscription.pk, category_id=category.pk)
                for subscription, picked in zip(subscriptions, chosen, strict=True)
                for category in picked
            ),
            batch_size=1000,
        )

    def contacts(self, person, profile):
        """Yield (channel slug, contact, status) of the subscriptions a person has."""
        rng = self.rng
        if not profile.has_fallback_email():
            yield "email", profile.email, person.status
        if profile.phones and rng.random() < 0.5:
            status = Status.SUBSCRIBED if rng.random() < 0.85 else Status.UNSUBSCRIBED
            yield "sms", profile.phones[0], status
        if self.spec.name == "Mobile app":
            yield "push", f"{rng.getrandbits(128):032x}", Status.SUBSCRIBED

    # -- Segments ------------------------------------------------------------------------

    def ensure_segments(self, database, people):
        for spec in self.spec.segments:
            segment, created = Segment.objects.get_or_create(name=spec.name, database=database)
            if not created:
                continue
            members = [profile for person, profile in people if spec.wants(person)]
            SegmentMembership.objects.bulk_create(
                SegmentMembership(segment=segment, profile=profile) for profile in members
            )
            for profile in members:
                at = self.gen.after(profile.created_at, self.gen.moment(DAYS - 1, 1))
                self.events.append(
                    Event(
                        profile=profile,
                        type="segment_entered",
                        occurred_at=at,
                        recorded_at=at,
                        data={"segment": segment.pk, "name": segment.name},
                    )
                )

    # -- Interactions --------------------------------------------------------------------

    def ensure_interactions(self, database, people):
        """Trigger mailings, two scenarios (one paused) with the participations of the last
        30 days, and the global control group's settings, formed for this period (the
        members are the people marked in their timeline)."""
        resource = Resource.objects.get(name=self.spec.resource)
        email = Channel.objects.get(slug="email")
        welcome = Trigger.objects.create(
            name="Welcome",
            database=database,
            resource=resource,
            channel=email,
            subject="Welcome to {{ profile.reg_source|default:'us' }}, "
            "{{ profile.first_name|default:'friend' }}!",
            body="Hello {{ profile.first_name|default:'there' }},\n\n"
            "thank you for joining. Here is what is new this week.\n",
        )
        winback = Trigger.objects.create(
            name="We miss you",
            database=database,
            resource=resource,
            channel=email,
            subject="{{ profile.first_name|default:'Hello' }}, it has been a while",
            body="A little something to welcome you back.",
        )
        if resource.channels.filter(slug="sms").exists():
            Trigger.objects.create(
                name="SMS reminder",
                database=database,
                resource=resource,
                channel=Channel.objects.get(slug="sms"),
                body="{{ profile.first_name|default:'Hi' }}: your basket is waiting.",
            )
        segment = database.segments.order_by("pk").first()
        steps = [
            {"type": "send_trigger", "trigger": welcome.pk},
            {"type": "wait", "seconds": 259_200},
        ]
        if segment is not None:
            steps.append({"type": "add_to_segment", "segment": segment.pk})
        onboarding = Scenario.objects.create(name="Onboarding", database=database, steps=steps)
        Scenario.objects.create(
            name="Win-back",
            database=database,
            status=Scenario.Status.PAUSED,
            allow_reentry=True,
            steps=[{"type": "send_trigger", "trigger": winback.pk}, {"type": "exit"}],
        )
        participations = []
        for _, profile in people:
            if self.rng.random() >= 0.15:
                continue
            entered = self.gen.after(profile.created_at, self.gen.moment(DAYS))
            running = entered > self.now - timedelta(days=3)
            results = [
                {
                    "step": 0,
                    "type": "send_trigger",
                    "at": entered.isoformat(),
                    "outcome": "sent",
                    "detail": "“Welcome” sent.",
                },
                {"step": 1, "type": "wait", "at": entered.isoformat(), "outcome": "waited"},
            ]
            if not running and segment is not None:
                done_at = entered + timedelta(days=3)
                results.append(
                    {
                        "step": 2,
                        "type": "add_to_segment",
                        "at": done_at.isoformat(),
                        "outcome": "done",
                        "detail": f"Added to “{segment.name}”.",
                    }
                )
            participations.append(
                Participation(
                    scenario=onboarding,
                    profile=profile,
                    version=onboarding.version,
                    steps=onboarding.steps,
                    status="running" if running else "finished",
                    current_step=2 if running else len(steps),
                    next_run_at=entered + timedelta(days=3) if running else None,
                    results=results,
                    entered_at=entered,
                    finished_at=None if running else entered + timedelta(days=3),
                )
            )
        Participation.objects.bulk_create(participations, batch_size=500)
        members = sum(person.in_control_group for person, _ in people)
        ControlGroup.objects.create(
            database=database,
            enabled=True,
            share_percent=Decimal("5"),
            period_days=DAYS,
            formed_at=self.now,
            formed_period=current_period(DAYS, self.now),
            size=members,
        )


# -- Relations -------------------------------------------------------------------------------

RELATION_TYPES = ("referred by", "recommended", "liked")


def seed_relations(database, profiles, rng):
    """A few relation types and relations between the database's demo profiles (about one
    profile in ten relates to another)."""
    types = [
        RelationType.objects.get_or_create(database=database, name=name)[0]
        for name in RELATION_TYPES
    ]
    if len(profiles) < 2:
        return
    links = set()
    for profile in profiles:
        if rng.random() >= 0.1:
            continue
        other = rng.choice(profiles)
        if other.pk != profile.pk:
            links.add((rng.choice(types), profile, other))
    Relation.objects.bulk_create(
        [
            Relation(
                type=relation_type,
                from_profile=source,
                to_profile=target,
                properties={"source": "demo"} if rng.random() < 0.5 else {},
            )
            for relation_type, source, target in links
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


# -- Products and orders (the market module) -------------------------------------------------

MARKET_DATABASE = "Online store"
# sku: (name, price in EUR)
PRODUCTS = {
    "TEE-BLK-M": ("Organic T-shirt, black, M", "24.90"),
    "TEE-WHT-L": ("Organic T-shirt, white, L", "24.90"),
    "HOODIE-GRY": ("Zip hoodie, grey", "59.00"),
    "MUG-LOGO": ("Enamel mug", "12.50"),
    "BOTTLE-750": ("Steel bottle, 750 ml", "19.90"),
    "BAG-TOTE": ("Canvas tote bag", "14.00"),
    "CAP-NAVY": ("Baseball cap, navy", "21.00"),
    "SOCKS-3": ("Socks, pack of 3", "9.90"),
}
ORDER_STATUSES = {
    "delivered": 60,
    "shipped": 10,
    "paid": 8,
    "new": 6,
    "cancelled": 8,
    "returned": 8,
}
MARKET_ORDERS_MAX = 5  # per profile


def ensure_market_group():
    """The "Market" role: products and orders (the standard marketer has none of it)."""
    group, _ = Group.objects.get_or_create(name=MARKET_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="market", codename__in=MARKET_PERMISSIONS)
    )
    return group


def seed_market(seed, now):
    """Products of the online store and the orders of its customers (as many as their
    ``orders_count``, at most five, each of one to three lines); once: a database that has
    products is left alone. Returns the number of orders made."""
    ensure_market_group()
    database = ProfileDatabase.objects.filter(name=MARKET_DATABASE).first()
    if database is None or database.products.exists():
        return 0
    rng = random.Random(seed)
    products = Product.objects.bulk_create(
        Product(database=database, sku=sku, name=name, price=Decimal(price), currency="EUR")
        for sku, (name, price) in PRODUCTS.items()
    )
    orders, lines = [], []
    for profile in database.profiles.order_by("pk").only("pk", "created_at", "custom_values"):
        bought_before = (profile.custom_values or {}).get("orders_count")
        count = min(bought_before if isinstance(bought_before, int) else 0, MARKET_ORDERS_MAX)
        for _ in range(count):
            start = max(profile.created_at, now - timedelta(days=400))
            created = start + (now - start) * rng.random()
            status = rng.choices(list(ORDER_STATUSES), weights=list(ORDER_STATUSES.values()))[0]
            order = Order(
                database=database,
                profile=profile,
                number=f"SO-{len(orders) + 100001}",
                status=status,
                currency="EUR",
                created_at=created,
            )
            bought = []
            for position, product in enumerate(rng.sample(products, rng.randint(1, 3))):
                price = product.price
                if rng.random() < 0.2:  # sold on sale
                    price = (price * Decimal("0.8")).quantize(Decimal("0.01"))
                bought.append(
                    OrderLine(
                        order=order,
                        product=product,
                        sku=product.sku,
                        name=product.name,
                        quantity=rng.choices([1, 2, 3], weights=[7, 2, 1])[0],
                        price=price,
                        position=position,
                    )
                )
            order.total = sum((line.amount for line in bought), Decimal(0))
            orders.append(order)
            lines.extend(bought)
    Order.objects.bulk_create(orders, batch_size=500)
    OrderLine.objects.bulk_create(lines, batch_size=1000)  # their order ids set from the orders
    return len(orders)


# -- Promo codes -----------------------------------------------------------------------------

# name: (codes, code prefix, valid for days from now: negative is expired, None never)
PROMO_POOLS = {
    "Welcome 10%": (300, "WELCOME", None),
    "Summer sale": (120, "SUMMER", 45),
    "Black Friday": (60, "BLACKFRI", -20),
}
PROMO_SHARE = 0.2  # of a database's subscribed profiles get a code


def seed_promos(seed, now):
    """Promo code pools of the databases that hand codes out (``DatabaseSpec.promos``),
    with codes attached to some profiles and activated by some of those: through
    ``operations.promos``, so each has its history event as in the product. Once: a
    database that has pools is left alone. Returns the number of codes attached."""
    rng = random.Random(seed)
    attached = 0
    for spec in DATABASES:
        database = ProfileDatabase.objects.filter(name=spec.name).first()
        if not spec.promos or database is None or database.promo_pools.exists():
            continue
        pools = []
        for name, (count, prefix, days) in PROMO_POOLS.items():
            valid_until = None if days is None else now + timedelta(days=days)
            pool = PromoPool.objects.create(database=database, name=name, valid_until=valid_until)
            codes = {f"{prefix}-{rng.randrange(16**6):06X}" for _ in range(count)}
            pool.load_codes(sorted(codes))
            pools.append(pool)
        open_pools = [pool for pool in pools if not pool.is_expired(now)]
        profiles = database.profiles.filter(status=Status.SUBSCRIBED).order_by("pk")
        for profile in profiles.only("pk", "database_id"):
            if rng.random() >= PROMO_SHARE:
                continue
            pool = rng.choices(open_pools, weights=[3] + [1] * (len(open_pools) - 1))[0]
            try:
                code = promo_operations.attach(pool, profile, source="demo")
            except promo_operations.NoFreeCode:
                continue
            attached += 1
            if rng.random() < 0.4:
                promo_operations.activate(code, source="demo")
    return attached


# -- Loyalty programs ------------------------------------------------------------------------

LOYALTY_DATABASE = "Online store"
LOYALTY_TIERS = {"Bronze": 0, "Silver": 1000, "Gold": 5000}
LOYALTY_MEMBERS = 120  # at most, among the database's subscribed profiles
LOYALTY_REASONS = ["Order", "Product review", "Birthday bonus", "Referral", "App check-in"]
LOYALTY_WRITE_OFFS = ["Voucher redeemed", "Free shipping redeemed", "Points expired"]


def seed_loyalty(seed, now):
    """The online store's "Store rewards" program (three tiers, two current promotions, the
    top one for Gold members) with some of its subscribed customers enrolled and their
    points: through ``operations.loyalty``, so each enrolment and transaction has its
    history event as in the product. Once: a database that has programs is left alone.
    Returns the number of members."""
    if Program.objects.filter(database__name=LOYALTY_DATABASE).exists():
        return 0  # one query when run again
    database = ProfileDatabase.objects.filter(name=LOYALTY_DATABASE).first()
    if database is None:
        return 0
    rng = random.Random(seed)
    program = Program.objects.create(
        database=database,
        name="Store rewards",
        description="1 point per euro spent; redeem 500 points for a 5 € voucher.",
    )
    tiers = {
        name: Tier.objects.create(program=program, name=name, threshold=threshold)
        for name, threshold in LOYALTY_TIERS.items()
    }
    Promotion.objects.create(
        program=program,
        name="Double points weekend",
        description="Every order earns twice the points.",
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=5),
    )
    Promotion.objects.create(
        program=program,
        name="Early access to the summer sale",
        description="Gold members shop the sale a day before everyone else.",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
        minimum_tier=tiers["Gold"],
    )
    profiles = database.profiles.filter(status=Status.SUBSCRIBED).order_by("pk")
    members = 0
    for profile in profiles.select_related("database")[: LOYALTY_MEMBERS * 2]:
        if members >= LOYALTY_MEMBERS or rng.random() < 0.5:
            continue
        membership = loyalty_operations.enrol(program, profile, source="demo")
        members += 1
        for _ in range(rng.randint(0, 6)):
            if membership.balance >= 500 and rng.random() < 0.3:
                points = -rng.choice([500, 500, 1000]) if membership.balance >= 1000 else -500
                reason = rng.choice(LOYALTY_WRITE_OFFS)
            else:
                points = rng.choice([25, 50, 120, 300, 800, 1500, 2500])
                reason = rng.choice(LOYALTY_REASONS)
            loyalty_operations.add_points(membership, points, reason, source="demo")
    return members


# -- Pixels and forms ------------------------------------------------------------------------

# The goals the demo's pixel events reach (DatabaseSeeder._pixel), with their default values.
PIXEL_GOALS = {"purchase": Decimal("50.00"), "add_to_cart": Decimal(0), "view": Decimal(0)}
ANONYMOUS_VISITORS = 12
REFERRERS = ("https://www.google.com/", "https://news.example/", "https://social.example/post")


def seed_pixels(seed, now):
    """The pixel of each database whose profiles reach pixel goals (``DatabaseSpec.pixels``),
    with the goals their ``pixel`` events name, and anonymous visitors' hits waiting for
    their visitor (recorded through ``operations.pixels``; a form submitted or an import row
    with the id ``anon-<seed>-000`` … joins them). Once: a database that has pixels is left
    alone. Returns the number of anonymous hits recorded."""
    rng = random.Random(seed)
    hits = 0
    for spec in DATABASES:
        if not spec.pixels or Pixel.objects.filter(database__name=spec.name).exists():
            continue
        database = ProfileDatabase.objects.filter(name=spec.name).first()
        if database is None:
            continue
        pixel = Pixel.objects.create(database=database, name=spec.site.removeprefix("https://"))
        Goal.objects.bulk_create(
            Goal(pixel=pixel, name=name, value=value) for name, value in PIXEL_GOALS.items()
        )
        for visitor in range(ANONYMOUS_VISITORS):
            for _ in range(rng.randint(1, 4)):
                goal = rng.choice(["view", "view", "add_to_cart", "purchase"])
                page = "checkout/complete" if goal == "purchase" else f"p/{rng.randint(1000, 9999)}"
                record_hit(
                    pixel,
                    anonymous_id=anonymous_visitor(seed, visitor),
                    occurred_at=now - timedelta(hours=rng.uniform(1, 24 * 14)),
                    goal=goal,
                    value=round(rng.uniform(15, 300), 2) if goal == "purchase" else None,
                    url=f"{spec.site}/{page}",
                    referrer=rng.choice(REFERRERS),
                    ip=f"90.{rng.randint(0, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    data={"session": f"{rng.getrandbits(64):016x}", "screen": "1440x900"},
                )
                hits += 1
    return hits


def anonymous_visitor(seed, number):
    """The cookie id of a demo anonymous visitor."""
    return f"anon-{seed}-{number:03d}"


def seed_forms(seed, now):
    """Forms of the online store: a newsletter sign-up (UTM on) and a back-in-stock alert
    whose product key no profile field takes (kept, not mapped), filled in by some customers
    as the demo is loaded (so each submission's event is the latest of their history).
    Through ``operations.webforms``, as in the product. Once: a database that has forms is
    left alone. Returns the number of submissions."""
    if Form.objects.filter(database__name="Online store").exists():
        return 0
    database = ProfileDatabase.objects.filter(name="Online store").first()
    if database is None:
        return 0
    rng = random.Random(seed)
    signup = Form(
        database=database,
        name="Newsletter sign-up",
        fields=[
            {"name": "email", "maps_to": "email"},
            {"name": "name", "maps_to": "first_name"},
            {"name": "category", "maps_to": "fields.favourite_category"},
        ],
        update_utm=True,
    )
    alert = Form(
        database=database,
        name="Back-in-stock alert",
        fields=[{"name": "email", "maps_to": "email"}],
    )
    for form in (signup, alert):
        form.full_clean()
        form.save()
    submitted = 0
    profiles = database.profiles.filter(status=Status.SUBSCRIBED).order_by("pk")
    for profile in profiles.select_related("database")[:200]:
        if profile.has_fallback_email() or rng.random() >= 0.15:
            continue
        at = None  # now, after every event seeded so far
        if rng.random() < 0.6:
            data = {"email": profile.email, "name": profile.first_name}
            category = (profile.custom_values or {}).get("favourite_category")
            if category:
                data["category"] = category
            form_operations.submit(signup, data, submitted_at=at)  # no UTM: theirs stay
        else:
            sku = rng.choice(["TEE-BLK-M", "HOODIE-GRY", "BOTTLE-750"])
            form_operations.submit(alert, {"email": profile.email, "sku": sku}, submitted_at=at)
        submitted += 1
    return submitted


# -- Logins ----------------------------------------------------------------------------------


def demo_password(username):
    """Return the demo password of a user: stable, derived from SECRET_KEY, never stored."""
    return salted_hmac("profiles.seed_demo", username).hexdigest()[:16]


def ensure_marketers_group():
    group, _ = Group.objects.get_or_create(name="Marketers")
    wanted = Q()  # one query for every app's permissions, however many apps
    for app_label, codenames in MARKETER_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def ensure_user(username, *, reset, **attributes):
    """Create the demo user (or reset its password); return (user, password or None)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.example", **attributes}
    )
    password = demo_password(username)
    if created or reset:
        user.set_password(password)
        user.save()
        return user, password
    return user, password if user.check_password(password) else None


# -- The command -----------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Load demo profile databases, profiles with 30 days of history, and demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--profiles", type=int, default=1000, help="profiles in all (default 1000)"
        )
        parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="set the demo users' passwords back to the printed ones",
        )

    def handle(self, *args, **options):
        if options["profiles"] < len(DATABASES):
            raise CommandError(f"Give at least {len(DATABASES)} profiles.")
        started = time.monotonic()
        now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            totals = self.seed_databases(options["profiles"], options["seed"], now)
            seed_market(options["seed"], now)
            seed_promos(options["seed"], now)
            seed_loyalty(options["seed"], now)
            seed_pixels(options["seed"], now)
            seed_forms(options["seed"], now)
            logins = self.ensure_logins(options["reset_passwords"])
        elapsed = time.monotonic() - started
        if totals:
            profiles = sum(n for n, _ in totals.values())
            events = sum(n for _, n in totals.values())
            self.stdout.write(
                f"Demo data: {profiles:,} profiles with {events:,} events in "
                f"{', '.join(totals)} ({elapsed:.1f} s)."
            )
        else:
            self.stdout.write("Demo data is already loaded.")
        self.stdout.write("Log in at http://127.0.0.1:8000/accounts/login/ as:")
        for username, password, role in logins:
            shown = password or "(changed since; run seed_demo --reset-passwords)"
            self.stdout.write(f"  {username:<9} {shown:<18} {role}")

    def seed_databases(self, total, seed, now):
        existing = set(
            ProfileDatabase.objects.filter(
                name__in=[spec.name for spec in DATABASES], profiles__isnull=False
            )
            .values_list("name", flat=True)
            .distinct()
        )
        if existing == {spec.name for spec in DATABASES}:
            return {}
        generator = Generator(seed, now)
        built = []
        for spec in DATABASES:
            seeder = DatabaseSeeder(spec, generator)
            built.append((seeder, *seeder.build(max(1, math.floor(total * spec.share)))))
        save_in_registration_order([pair for _, _, people in built for pair in people])
        totals, events = {}, []
        for seeder, database, people in built:
            history = seeder.finish(database, people)
            if people:
                totals[database.name] = (len(people), len(history))
                events.extend(history)
        # In time order, as they would have arrived: ids then follow occurred_at.
        events.sort(key=lambda event: event.occurred_at)
        Event.objects.bulk_create(events, batch_size=EVENT_BATCH)
        return totals

    def ensure_logins(self, reset):
        marketers = ensure_marketers_group()
        _, admin_password = ensure_user(
            "demo", reset=reset, is_staff=True, is_superuser=True, first_name="Demo"
        )
        marketer, marketer_password = ensure_user(
            "marketer", reset=reset, first_name="Mia", last_name="Marketer"
        )
        marketer.groups.add(marketers)
        for database in ProfileDatabase.objects.all():
            database.members.add(marketer)
        return [
            ("demo", admin_password, "superuser: every page and /admin/"),
            (
                "marketer",
                marketer_password,
                "Marketers group, member of every database: view, add, change and export "
                "profiles, no delete",
            ),
        ]
