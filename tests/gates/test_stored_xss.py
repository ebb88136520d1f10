"""Stored XSS gate: hostile text written through the API renders inert everywhere.

A corpus of payloads (``<script>``, event handlers, ``javascript:`` URLs, template syntax,
a closing ``</textarea>``, a 10 kB string…) is packed into a few "loads". Each load gets
a carrier: a profile database, its custom fields (labels, enum options), a profile, a
resource with categories and subscription fields, subscriptions, a static segment, a custom
tab and a batch of events (URL, referrer, user agent, UTM), every free-text field holding
the load. The text fields are found by walking the write serializers, the event data keys
by walking the event types, the custom fields by walking the field types; a value a field
refuses (an email, an IP, a length limit) is recorded and skipped. What the API does not
write (custom tabs, segment entries: the pages; custom channels, segments, the suppression
list: the admin's models) is written the way the product writes it. A test walks the
models for free-text fields and fails on one that no payload reached.

Then every page and HTMX fragment reachable from the URL patterns and their links, every
admin page of every registered model, the API docs and the browsable API are requested,
and each HTML answer is checked: no payload raw in the markup, no element, event handler,
``javascript:`` link or script carrying a payload, no template expression evaluated. A
Playwright pass over the profile pages asserts that no dialog fires and nothing was
injected into the live DOM (the Content Security Policy would block an injected inline
script, so the DOM check is the one that sees it).
"""

import json
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404
from rest_framework import serializers
from rest_framework.test import APIClient

from core.fieldtypes import OPTION_MAX_LENGTH, FieldType
from core.text import validate_text
from history.models import Event
from history.types import DATA_MAX_BYTES, EVENT_TYPES, URL_MAX_LENGTH
from jobs.models import Job
from loyalty.models import Promotion, Tier
from profiles.models import CustomField, ProfileDatabase
from promos.models import CODE_MAX_LENGTH
from segments.models import Segment
from subscriptions.models import Channel, ContactKind, SuppressedAddress
from tests.gates.world import PATTERNS, model_of
from web.interactions.api import ScenarioSerializer, TriggerSerializer
from web.loyalty.api import NewTransactionSerializer, ProgramSerializer
from web.market.api import OrderSerializer, ProductSerializer
from web.profiles.api.serializers import (
    CustomFieldSerializer,
    DatabaseSerializer,
    ProfileSerializer,
)
from web.profiles.forms import NewTabForm
from web.profiles.sections import sections
from web.promos.api import PromoPoolSerializer
from web.relations.api import RelationTypeSerializer
from web.subscriptions.api import (
    CategorySerializer,
    ResourceSerializer,
    SubscriptionFieldSerializer,
    SubscriptionSerializer,
)

pytestmark = [pytest.mark.django_db, pytest.mark.gates]

# -- The corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    marker: str
    text: str
    leads: bool = False  # only dangerous at the start of a value (a URL)

    @property
    def needle(self):
        """The raw text that must never appear in markup (None: nothing to escape in it)."""
        if not any(char in self.text for char in "<>\"'&"):
            return None
        return self.text[:64]


BIG = "x" * 10_240
# Free of , | ; so that each payload is also a valid tag and enum option.
CORPUS = [
    Payload("XSS01", "<script>alert('XSS01')</script>"),
    Payload("XSS02", "<img/src/onerror=alert('XSS02')>"),  # an empty src fires onerror
    Payload("XSS03", "<svg/onload=alert('XSS03')>"),
    Payload("XSS04", "\"><svg/onload=alert('XSS04')>"),  # leaves a "…" attribute
    Payload("XSS05", "'><svg/onload=alert('XSS05')>"),  # leaves a '…' attribute
    Payload("XSS06", "x onfocus=alert('XSS06') autofocus "),  # an unquoted attribute
    Payload("XSS07", "javascript:alert('XSS07')", leads=True),
    Payload("XSS08", "{{7*7}}XSS08${7*7}"),  # template engines: 49XSS08 or XSS0849
    Payload("XSS09", "</textarea><script>alert('XSS09')</script>"),
    Payload("XSS10", "</title></style></script><svg/onload=alert('XSS10')>"),
    Payload("XSS11", "&lt;script&gt;alert('XSS11')&lt;/script&gt;"),  # decoded twice?
    Payload("XSS12", "<a/href=\"javascript:alert('XSS12')\">XSS12</a>"),
    Payload("XSS13", "<svg/onload=XSS13()>"),  # short: fits a 20-character field
    Payload("XSS14", f"<svg/onload=alert('XSS14')>{BIG}<script>alert('XSS14')</script>"),
]
MARKER_RE = re.compile(r"XSS\d\d")
LOAD_LIMIT = 200  # the longest short free-text fields; shorter ones take what fits


@dataclass(frozen=True)
class Load:
    """Payloads written together into one value."""

    payloads: tuple

    @property
    def text(self):
        return "".join(p.text for p in self.payloads)

    def fit(self, max_length=None, spaceless=False):
        """Return the payloads of this load, in order, that a field of max_length holds."""
        text = ""
        for payload in self.payloads:
            if spaceless and any(char.isspace() for char in payload.text):
                continue
            if max_length is None or len(text) + len(payload.text) <= max_length:
                text += payload.text
        return text

    def candidates(self, max_length=None):
        """Values to try in turn: the load, then the load without whitespace."""
        values = [self.fit(max_length), self.fit(max_length, spaceless=True)]
        return [v for i, v in enumerate(values) if v and v not in values[:i]]


def pack(corpus, limit=LOAD_LIMIT):
    """Pack the corpus into loads of at most limit characters; a leading payload starts one."""
    loads, current = [], []
    for payload in corpus:
        size = sum(len(p.text) for p in current) + len(payload.text)
        if current and (payload.leads or size > limit):
            loads.append(Load(tuple(current)))
            current = []
        current.append(payload)
    loads.append(Load(tuple(current)))
    return loads


LOADS = pack(CORPUS)
ENUM_OPTIONS = [p.text for p in CORPUS if len(p.text) <= OPTION_MAX_LENGTH]


# -- Writing the payloads -----------------------------------------------------------------


def text_fields(serializer):
    """Return {name: max_length} of the serializer's writable text fields."""
    return {
        name: getattr(serializer_field, "max_length", None)
        for name, serializer_field in serializer.fields.items()
        if isinstance(serializer_field, serializers.CharField) and not serializer_field.read_only
    }


@dataclass
class Carrier:
    """The objects of one load: database, profile, resource, subscriptions…"""

    load: Load
    database: dict = None
    profile: dict = None
    resource: dict = None
    subscriptions: list = field(default_factory=list)
    segment: Segment = None
    job: Job = None
    trigger: dict = None
    scenario: dict = None
    relation: dict = None
    program: dict = None
    form: dict = None
    pixel: dict = None
    confirm_path: str = ""


class Refused(Exception):
    """The API refused a write for a value other than a payload."""

    def __init__(self, what, errors):
        super().__init__(f"{what}: {errors}")
        self.errors = errors


class Planter:
    """Writes every load through the API (and the pages where the API has no write)."""

    def __init__(self, client):
        self.client = client
        self.rejected = {}  # (what, field) → the API's message
        self.refused = set()  # (kind, path, value) refused once: not sent again
        self.contactless = set()  # channels whose contact data no payload can be

    def write(self, method, url, what, body, candidates):
        """Send body with the candidates' values; after a 400 naming one, send the next."""
        attempt = Attempt(self, what.split(" (")[0], candidates)
        while True:  # each refusal uses up a value, so this ends
            response = self.client.generic(
                method, url, json.dumps(attempt.apply(body)), content_type="application/json"
            )
            if response.status_code < 300:
                return response.json()
            assert response.status_code == 400, (url, response.status_code, response.content)
            if not attempt.refuse(what, response.json()):
                raise Refused(what, response.json())

    def text_candidates(self, serializer, load, skip=()):
        return {
            (name,): load.candidates(max_length)
            for name, max_length in text_fields(serializer).items()
            if name not in skip
        }

    def plant(self, number, load):
        carrier = Carrier(load)
        api = "/api/v1/"
        carrier.database = self.write(
            "POST",
            f"{api}databases/",
            "database",
            {"name": f"Carrier {number}"},
            self.text_candidates(DatabaseSerializer(), load),
        )
        database_id = carrier.database["id"]
        # One custom field per type: the load in every text of its definition, every
        # payload of the corpus as an enum option (each that an option's length takes).
        custom = CustomFieldSerializer()
        fields = []
        for field_type in FieldType.values:
            options = ENUM_OPTIONS if field_type == FieldType.ENUM else []
            created = self.write(
                "POST",
                f"{api}custom-fields/",
                "custom field",
                {"database": database_id, "name": f"{field_type}_field", "type": field_type},
                {
                    **self.text_candidates(custom, load),
                    ("options",): [options] if options else [],
                },
            )
            fields.append(created["name"])
        # Each custom value: the load as text, as a list (tags), then one payload (enum).
        values = {("fields", name): _value_candidates(load) for name in fields}
        carrier.profile = self.write(
            "POST",
            f"{api}profiles/",
            "profile",
            {"database": database_id},
            {**self.text_candidates(ProfileSerializer(), load), **values},
        )
        profile_id = carrier.profile["profile_id"]
        self._add_tab(profile_id, database_id, load)

        # A custom channel: channels are added in the admin only, not over the API.
        Channel.objects.create(
            name=load.fit(Channel._meta.get_field("name").max_length) or f"Channel {number}",
            slug=f"xss-{number}",
            contact_kind=ContactKind.IDENTIFIER,
            position=100 + number,
        )
        resource_candidates = self.text_candidates(ResourceSerializer(), load)
        for position, payload in enumerate(load.payloads):
            for path, values in self.text_candidates(
                CategorySerializer(), Load((payload,))
            ).items():
                resource_candidates[("categories", position, *path)] = values
        definitions = []
        for position, field_type in enumerate(FieldType.values):
            definitions.append({"name": f"{field_type}_field", "type": field_type})
            if field_type == FieldType.ENUM:
                definitions[-1]["options"] = ENUM_OPTIONS
            for path, values in self.text_candidates(
                SubscriptionFieldSerializer(), load, skip={"name", "type"}
            ).items():
                resource_candidates[("fields", position, *path)] = values
        carrier.resource = self.write(
            "POST",
            f"{api}resources/",
            "resource",
            {
                "name": f"Resource {number}",
                "categories": [{"name": f"Category {i}"} for i in range(len(load.payloads))],
                "fields": definitions,
            },
            resource_candidates,
        )
        self._subscribe(carrier, profile_id)
        self._segment(carrier, profile_id, number)
        self._interactions(carrier, profile_id)
        self._market(carrier, profile_id)
        self._relations(carrier, profile_id)
        self._promos(carrier, profile_id)
        self._loyalty(carrier, profile_id)
        self._forms_and_pixels(carrier, profile_id)
        self._events(profile_id, load)
        self._job(carrier, load)
        # The suppression list is written by bounces and in the admin, not over the API.
        SuppressedAddress.objects.create(
            address=f"carrier{number}@example.com",
            reason=SuppressedAddress.Reason.MANUAL,
            profile_id=load.fit(SuppressedAddress._meta.get_field("profile_id").max_length),
        )
        return carrier

    def _add_tab(self, profile_id, database_id, load):
        """A custom tab showing every field, named with the load (tabs are made on the page)."""
        form = NewTabForm(database=ProfileDatabase.objects.get(pk=database_id))
        response = self.client.post(
            reverse("profiles:tab_new", args=[profile_id]),
            {
                "label": load.fit(form.fields["label"].max_length) or "Carrier",
                "fields": _choice_values(form.fields["fields"].choices),
            },
        )
        assert response.status_code in (200, 302), response.status_code

    def _subscribe(self, carrier, profile_id):
        load, resource = carrier.load, carrier.resource
        categories = [category["id"] for category in resource["categories"]]
        values = {("fields", f["name"]): _value_candidates(load) for f in resource["fields"]}
        texts = self.text_candidates(SubscriptionSerializer(), load)
        url = f"/api/v1/profiles/{profile_id}/subscriptions/"
        channels = Channel.objects.filter(slug__in=resource["channels"])
        for channel in channels.exclude(slug__in=self.contactless):
            status = "unconfirmed" if not carrier.subscriptions else "subscribed"
            body = {
                "resource": resource["id"],
                "channel": channel.slug,
                "status": status,
                "categories": categories,
            }
            what = f"subscription ({channel.slug})"
            try:
                subscription = self.write("POST", url, what, body, {**texts, **values})
            except Refused as refusal:
                # The channel's contact data is an email or a phone: no payload is one.
                assert set(refusal.errors) == {"contact"}, refusal.errors
                self.contactless.add(channel.slug)
                continue
            carrier.subscriptions.append(subscription)
            if subscription["confirmation_url"]:
                carrier.confirm_path = urlsplit(subscription["confirmation_url"]).path

    def _segment(self, carrier, profile_id, number):
        """A static segment named with the load (made in the admin), joined on the page."""
        carrier.segment = Segment.objects.create(
            name=carrier.load.fit(Segment._meta.get_field("name").max_length)
            or f"Segment {number}",
            database_id=carrier.database["id"],
        )
        response = self.client.post(
            reverse("segments:add", args=[profile_id]), {"segment": carrier.segment.pk}
        )
        assert response.status_code in (200, 302), response.status_code

    def _interactions(self, carrier, profile_id):
        """A trigger mailing and a scenario named with the load, its templates holding it as
        text (a payload that is template syntax does not compile: the load without those);
        the trigger sent and the scenario engaged in on the page, so the Interactions tab and
        History show them."""
        load, resource = carrier.load, carrier.resource
        plain = Load(tuple(p for p in load.payloads if "{" not in p.text))
        texts = self.text_candidates(TriggerSerializer(), load)
        for name in ("subject", "body"):
            fallback = [*plain.candidates(), "Hello {{ profile.first_name }}"]
            texts[(name,)] = texts.get((name,), []) + fallback
        # A load too long for a name: a plain one (a name is required).
        texts[("name",)] = [*texts.get(("name",), []), "Welcome"]
        scenario_texts = self.text_candidates(ScenarioSerializer(), load)
        scenario_texts[("name",)] = [*scenario_texts.get(("name",), []), "Onboarding"]
        carrier.trigger = self.write(
            "POST",
            "/api/v1/triggers/",
            "trigger",
            {
                "database": carrier.database["id"],
                "resource": resource["id"],
                "channel": resource["channels"][0],
            },
            texts,
        )
        carrier.scenario = self.write(
            "POST",
            "/api/v1/scenarios/",
            "scenario",
            {
                "database": carrier.database["id"],
                "steps": [
                    {"type": "wait", "seconds": 3600},
                    {"type": "send_trigger", "trigger": carrier.trigger["id"]},
                ],
            },
            scenario_texts,
        )
        for name, field_name, value in [
            ("interactions:send", "trigger", carrier.trigger["id"]),
            ("interactions:engage", "scenario", carrier.scenario["id"]),
        ]:
            response = self.client.post(reverse(name, args=[profile_id]), {field_name: value})
            assert response.status_code in (200, 302), (name, response.status_code)

    def _market(self, carrier, profile_id):
        """A product whose SKU and name hold the load, and an order of the profile (its
        number the load) buying it, so the Data section's Orders part shows them."""
        load = carrier.load
        texts = self.text_candidates(ProductSerializer(), load, skip={"currency"})
        # A load too long for them: a plain SKU and name (both are required).
        texts[("sku",)] = [*texts.get(("sku",), []), "SKU-1"]
        texts[("name",)] = [*texts.get(("name",), []), "Product"]
        product = self.write(
            "POST",
            "/api/v1/products/",
            "product",
            {"database": carrier.database["id"], "price": 9.5},
            texts,
        )
        texts = self.text_candidates(OrderSerializer(), load, skip={"currency"})
        texts[("number",)] = [*texts.get(("number",), []), "A-1"]
        self.write(
            "POST",
            "/api/v1/orders/",
            "order",
            {"profile_id": profile_id, "lines": [{"sku": product["sku"], "quantity": 2}]},
            texts,
        )

    def _relations(self, carrier, profile_id):
        """A relation type named with the load, and a relation of that type from a second
        profile of the database to the carrier's, its properties holding the load (both
        profiles' Data sections show it)."""
        load, api = carrier.load, "/api/v1/"
        texts = self.text_candidates(RelationTypeSerializer(), load)
        texts[("name",)] = [*texts.get(("name",), []), "liked"]
        database = carrier.database["id"]
        relation_type = self.write(
            "POST", f"{api}relation-types/", "relation type", {"database": database}, texts
        )
        other = self.write("POST", f"{api}profiles/", "profile", {"database": database}, {})
        notes = [load.text, load.fit(4000), load.fit(200)]
        carrier.relation = self.write(
            "POST",
            f"{api}profiles/{other['profile_id']}/relations/",
            "relation",
            {"type": relation_type["id"], "profile_id": profile_id},
            {("properties",): [{"note": note} for note in notes if note]},
        )

    def _promos(self, carrier, profile_id):
        """A promo code pool named with the load, a code holding it (codes have no
        whitespace) attached to the profile from its Data section: the part, the History
        (its promo_attached event) and the admin show both."""
        load, api = carrier.load, "/api/v1/"
        texts = self.text_candidates(PromoPoolSerializer(), load)
        texts[("name",)] = [*texts.get(("name",), []), "Welcome"]
        pool = self.write(
            "POST", f"{api}promo-pools/", "promo pool", {"database": carrier.database["id"]}, texts
        )
        self.write(
            "POST",
            f"{api}promo-pools/{pool['id']}/codes/",
            "promo codes",
            {"codes": ["PLAIN-CODE"]},
            {("codes", 0): [text for text in [load.fit(CODE_MAX_LENGTH, spaceless=True)] if text]},
        )
        response = self.client.post(
            reverse("promos:attach", args=[profile_id]), {"pool": pool["id"]}
        )
        assert response.status_code == 302, ("promos:attach", response.status_code)

    def _loyalty(self, carrier, profile_id):
        """A loyalty program whose name, description and tier names hold the load, a current
        promotion holding it (promotions are written in the admin), the profile enrolled and
        a write-off whose reason holds it: the Loyalty programs part and the admin show them."""
        load, api = carrier.load, "/api/v1/"
        texts = self.text_candidates(ProgramSerializer(), load)
        texts[("name",)] = [*texts.get(("name",), []), "Club"]
        texts[("tiers", 0, "name")] = [*load.candidates(100), "Base"]
        carrier.program = self.write(
            "POST",
            f"{api}loyalty-programs/",
            "loyalty program",
            {
                "database": carrier.database["id"],
                "tiers": [{"name": "Base", "threshold": 0}, {"name": "Top", "threshold": 10**6}],
            },
            texts,
        )
        Promotion.objects.create(
            program_id=carrier.program["id"],
            name=load.fit(200) or "Promotion",
            description=load.text,
            minimum_tier=Tier.objects.get(program_id=carrier.program["id"], name="Top"),
        )
        self.write(
            "POST",
            f"{api}profiles/{profile_id}/loyalty/",
            "loyalty membership",
            {"program": carrier.program["id"]},
            {},
        )
        url = f"{api}profiles/{profile_id}/loyalty/{carrier.program['id']}/transactions/"
        self.write("POST", url, "points", {"points": 100}, {})
        self.write(
            "POST",
            url,
            "write-off",
            {"points": -1, "reason": "Plain reason"},
            self.text_candidates(NewTransactionSerializer(), load),
        )

    def _forms_and_pixels(self, carrier, profile_id):
        """A form and a pixel named with the load (the goal too); the profile submits the
        form with the load in its data, and reaches the goal with the load as pixel_data,
        known and anonymous: the Data section's Forms and Pixels parts and the admin show
        them."""
        load, api = carrier.load, "/api/v1/"
        database = carrier.database["id"]
        carrier.form = self.write(
            "POST",
            f"{api}forms/",
            "form",
            {
                "database": database,
                "fields": [{"name": "email"}, {"name": "note", "maps_to": "fields.line_field"}],
            },
            {("name",): [*load.candidates(200), "Form"]},
        )
        self.write(
            "POST",
            f"{api}forms/{carrier.form['id']}/submit/",
            "form submission",
            {"data": {"email": carrier.profile["email"], "extra": load.text}},
            {
                ("data", "note"): [load.text],
                ("utm", "utm_source"): [load.text],
                ("anonymous_id",): [*load.candidates(200), "visitor"],
            },
        )
        carrier.pixel = self.write(
            "POST",
            f"{api}pixels/",
            "pixel",
            {"database": database, "goals": [{"name": "goal"}]},
            {
                ("name",): [*load.candidates(200), "Pixel"],
                ("goals", 0, "name"): [*load.candidates(100), "goal"],
            },
        )
        goal = carrier.pixel["goals"][0]["name"]
        for who in ({"profile_id": profile_id}, {"anonymous_id": "xss-visitor"}):
            self.write(
                "POST",
                f"{api}pixels/{carrier.pixel['id']}/hit/",
                "pixel hit",
                {"goal": goal, **who},
                {("data",): [{"note": load.text}], ("url",): [*_data_candidates("url", load)]},
            )

    def _job(self, carrier, load):
        """An export of the carrier's database (its job shows the database's name); its
        failure and item errors hold the load, as an import's will hold what rows sent."""
        export = self.write(
            "POST", "/api/v1/exports/", "export", {"database": carrier.database["id"]}, {}
        )
        carrier.job = Job.objects.get(pk=export["id"])
        carrier.job.failure = load.fit(1000) or "failed"
        carrier.job.error_samples = [payload.text for payload in load.payloads]
        carrier.job.errors = len(load.payloads)
        carrier.job.save()

    def _events(self, profile_id, load):
        """One event of each type integrations report, every data key holding the load."""
        events, candidates = [], {}
        for index, event_type in enumerate(t for t in EVENT_TYPES if t.accepted):
            events.append({"profile_id": profile_id, "type": event_type.slug, "data": {}})
            keys = {spec.name: spec.kind for spec in event_type.fields}
            # Kept as sent: what a tracker reports about the visit.
            keys |= {"referrer": "any", "user_agent": "any"}
            keys |= {f"utm_{tag}": "text" for tag in ("source", "medium", "campaign")}
            used = 0
            for name, kind in keys.items():
                values = _data_candidates(kind, load)
                size = max((len(json.dumps(value)) for value in values), default=0)
                if used + size > DATA_MAX_BYTES // 2:
                    continue  # a long load fills an event's data; the others fill the rest
                used += size
                candidates[(index, "data", name)] = values
        self._write_batch(events, candidates)

    def _write_batch(self, events, candidates):
        """Report the events as one batch; send again the ones refused, with their next values."""
        attempts = {
            index: Attempt(
                self, "event", {p[1:]: v for p, v in candidates.items() if p[0] == index}
            )
            for index in range(len(events))
        }
        pending = list(attempts)
        while pending:  # each refusal uses up a value, so this ends
            batch = [attempts[index].apply(events[index]) for index in pending]
            response = self.client.post("/api/v1/events/", batch, format="json")
            assert response.status_code == 200, response.content
            refused = []
            for index, result in zip(pending, response.json()["results"], strict=True):
                if result["status"] == "created":
                    continue
                what = f"event {events[index]['type']}"
                assert attempts[index].refuse(what, result["errors"]), (what, result["errors"])
                refused.append(index)
            pending = refused


class Attempt:
    """The values sent at some paths of a body: each path's first candidate, then the next
    once the API refuses it; a path with none left is left out and the refusal recorded."""

    def __init__(self, planter, kind, candidates):
        self.planter, self.kind = planter, kind
        self.candidates = {
            path: [v for v in values if (kind, path, repr(v)) not in planter.refused]
            for path, values in candidates.items()
        }
        self.chosen = {path: vs.pop(0) for path, vs in self.candidates.items() if vs}

    def apply(self, body):
        data = json.loads(json.dumps(body))
        for path, value in self.chosen.items():
            _set_path(data, path, value)
        return data

    def refuse(self, what, errors):
        """Move on from the values the errors name; return whether they named any."""
        refused = [path for path in self.chosen if _get_path(errors, path) is not None]
        for path in refused:
            if path != ("contact",):  # contact data is checked per channel
                self.planter.refused.add((self.kind, path, repr(self.chosen[path])))
            if self.candidates[path]:
                self.chosen[path] = self.candidates[path].pop(0)
            else:
                message = str(_get_path(errors, path))[:100]
                self.planter.rejected[(what, ".".join(map(str, path)))] = message
                del self.chosen[path]
        return bool(refused)


def _set_path(data, path, value):
    for key in path[:-1]:
        data = data.setdefault(key, {}) if isinstance(data, dict) else data[key]
    data[path[-1]] = value


def _get_path(errors, path):
    for key in path:
        if isinstance(errors, list) and isinstance(key, int) and key < len(errors):
            errors = errors[key]
        elif isinstance(errors, dict) and str(key) in errors:
            errors = errors[str(key)]
        elif isinstance(errors, list) and isinstance(key, str):
            # Subscription custom values answer one list of "name: message".
            errors = [e for e in errors if isinstance(e, str) and e.startswith(f"{key}:")]
        else:
            return None
    return errors or None


def _value_candidates(load):
    """A custom value: the load as text, as a list of tags, then one payload (an option)."""
    return [*load.candidates(), [p.text for p in load.payloads], load.payloads[0].text]


def _data_candidates(kind, load):
    """Values for an event data key of this kind: the load where text goes."""
    url = "https://example.com/?q="
    urls = [url + text for text in load.candidates(URL_MAX_LENGTH - len(url))]
    return {
        "text": load.candidates(),
        "id": load.candidates(),
        "any": [load.text],
        "object": [{"note": load.text}],
        # Last, a plain URL: a required URL the load does not fit in.
        "url": [load.text, *urls, "https://example.com/"],
    }.get(kind, [])


def _choice_values(choices):
    values = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            values += _choice_values(label)
        else:
            values.append(value)
    return values


@pytest.fixture
def planted(alice):
    """Write every load through the API as alice; return the carriers and the refusals."""
    client = APIClient()
    client.force_login(alice)
    planter = Planter(client)
    carriers = [planter.plant(number, load) for number, load in enumerate(LOADS, 1)]
    return carriers, planter.rejected


# -- Where people type free text ----------------------------------------------------------


def free_text_fields(user):
    """Yield the model fields people can type free text into.

    A field counts when its model accepts any text (only generic validators) and so does
    the admin's form for it, when the admin has one. Models no one adds to (the audit log,
    events) hold what the product writes, not input.
    """
    request = RequestFactory().get("/")
    request.user = user
    for app_config in apps.get_app_configs():
        if Path(app_config.path).parent != Path(settings.BASE_DIR):  # the project's own
            continue
        for model in app_config.get_models():
            model_admin = admin.site._registry.get(model)
            if model_admin is None or not model_admin.has_add_permission(request):
                continue
            refused = _admin_form_refusals(model_admin, request)
            for model_field in model._meta.concrete_fields:
                if (
                    isinstance(model_field, models.CharField | models.TextField)
                    and model_field.editable
                    and not model_field.choices
                    and all(_generic(v) for v in model_field.validators)
                    and model_field.name not in refused
                ):
                    yield model, model_field


def _generic(validator):
    return validator is validate_text or isinstance(
        validator, MaxLengthValidator | ProhibitNullCharactersValidator
    )


def _admin_form_refusals(model_admin, request):
    """Return the fields whose admin add form refuses a payload as their value."""
    form_class = model_admin.get_form(request)
    shortest = min((p.text for p in CORPUS), key=len)
    form = form_class(data=dict.fromkeys(form_class.base_fields, shortest))
    form.is_valid()
    return set(form.errors)


# -- Checking the markup ------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}
URL_ATTRIBUTES |= {f"hx-{verb}" for verb in ("get", "post", "put", "patch", "delete")}


class MarkupCheck(HTMLParser):
    """Find payloads that became markup; note the markers shown as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.seen, self.script = [], set(), None

    def handle_starttag(self, tag, attrs):
        # A JSON data block (json_script) is data, not code: only a raw "<" is a problem.
        self.script = ("json" in (dict(attrs).get("type") or "")) if tag == "script" else None
        for name, value in attrs:
            value = value or ""
            markers = MARKER_RE.findall(name + value)
            if MARKER_RE.search(tag) or MARKER_RE.search(name):
                self.problems.append(f"element or attribute from a payload: <{tag} {name}>")
            elif name.startswith("on") and markers:
                self.problems.append(f"event handler from a payload: <{tag} {name}={value!r}>")
            elif name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL: <{tag} {name}={value[:80]!r}>")
            elif name == "srcdoc" and markers:
                self.problems.append(f"payload in srcdoc: <{tag}>")
            else:
                self.seen.update(markers)

    def handle_endtag(self, tag):
        self.script = None

    def handle_data(self, data):
        markers = MARKER_RE.findall(data)
        if markers and (self.script is False or (self.script and "<" in data)):
            self.problems.append(f"payload inside a script: {data[:80]!r}")
        self.seen.update(markers)


def markup_problems(html):
    """Return (problems, markers seen as text) of an HTML document or fragment."""
    problems = [
        f"raw payload {payload.marker}: {payload.needle!r}"
        for payload in CORPUS
        if payload.needle and payload.needle in html
    ]
    problems += [
        f"template evaluated: {found!r}" for found in re.findall(r"49XSS\d\d|XSS\d\d49", html)
    ]
    check = MarkupCheck()
    check.feed(html)
    check.close()
    return problems + check.problems, check.seen


class Visits:
    """Requests pages, checks every HTML answer, and collects what it found."""

    def __init__(self, client):
        self.client = client
        self.done = set()
        self.problems, self.seen = [], set()

    def get(self, url, headers=None):
        """Request url as a browser does (or as htmx, given its headers); return the
        response with its HTML as ``html`` (None for other content, or if requested before)."""
        headers = headers or {}
        key = (url, tuple(sorted(headers.items())))
        if key in self.done:
            return None
        self.done.add(key)
        response = self.client.get(url, headers={"Accept": "text/html", **headers})
        where = f"{url} {headers or ''}".strip()
        if response.status_code >= 500:
            self.problems.append(f"{where}: status {response.status_code}")
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content).decode(errors="replace")
        else:
            body = response.content.decode(errors="replace")
        response.html = None
        if "html" in response.get("Content-Type", ""):
            problems, seen = markup_problems(body)
            self.problems += [f"{where}: {problem}" for problem in problems]
            self.seen |= seen
            response.html = body
        elif response.get("X-Content-Type-Options") != "nosniff":
            raw = [p.marker for p in CORPUS if p.needle and p.needle in body]
            if raw:
                self.problems.append(f"{where}: raw payloads {raw} in a sniffable answer")
        return response


class LinkParser(HTMLParser):
    """Collect (url, hx-target) of the links and htmx GETs of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("hx-get"):
            self.links.append((attrs["hx-get"], attrs.get("hx-target") or ""))
        elif tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], None))


# -- Walking the pages --------------------------------------------------------------------


def _is_django_view(pattern):
    # Django's own account pages (login, password reset) hold no stored data.
    return getattr(pattern.callback, "__module__", "").startswith("django.contrib")


def route_kwargs(pattern, carrier):
    """Return the kwargs of the pattern for this carrier's objects, or None when one is
    unknown (the test lists such patterns: teach their argument here)."""
    subscription = carrier.subscriptions[0] if carrier.subscriptions else {}
    # The page URLs' arguments; an API object's lookup is found from its model below.
    known = {
        "profile_id": [carrier.profile["profile_id"]],
        "subscription_id": [subscription.get("id")],
        "segment_id": [carrier.segment.pk],
        "job_id": [carrier.job.pk],
        "trigger_id": [carrier.trigger["id"]],
        "scenario_id": [carrier.scenario["id"]],
        "relation_id": [carrier.relation["id"]] if carrier.relation else [],
        "program_id": [carrier.program["id"]] if carrier.program else [],
        "form_id": [carrier.form["id"]] if carrier.form else [],
        "pixel_id": [carrier.pixel["id"]] if carrier.pixel else [],
        "database_id": [carrier.database["id"]],
        "token": [resolve(carrier.confirm_path).kwargs["token"]] if carrier.confirm_path else [],
        "fmt": ["csv", "json"],
    }
    model, lookup = model_of(pattern)
    choices = {}
    for name in pattern.parameters:
        if name in known:
            choices[name] = known[name]
        elif name in {"pk", "id", "code_id"} and model is not None:  # code_id: a promo code's
            choices[name] = [getattr(_carrier_object(carrier, model), lookup)]
        else:
            return None
    combos = [{}]
    for name, values in choices.items():
        combos = [{**combo, name: value} for combo in combos for value in values if value]
    return combos


def _carrier_object(carrier, model):
    """Return the carrier's object of this model (the one holding its load)."""
    marker = carrier.load.payloads[0].marker
    for obj in model._default_manager.all():
        if any(marker in str(getattr(obj, f.attname, "")) for f in model._meta.concrete_fields):
            return obj
    return model._default_manager.first()


# Pages that answer a data tab switch (#tab-content) with the same partial: the profile
# page and its lower sections (web.profiles.sections.render_section). A ``?tab=`` requested on
# one of them is not requested again on the others.
PROFILE_PAGES = {"profiles:detail", *(section.url_name for section in sections())}


def crawl(client, carriers):
    """Request every non-admin page for each carrier, and the links and fragments they offer.

    A URL is requested as a page, and as an htmx fragment when the page varies on
    HX-Request; a link htmx follows is requested as the fragment it asks for (with its
    hx-target). A link is followed when its view is new for its profile, or when it carries
    a query parameter value (a tab, a filter) the view has not been asked for yet.
    """
    visits = Visits(client)
    unknown, queue = [], deque()
    for pattern in PATTERNS:
        if pattern.kind == "admin" or _is_django_view(pattern):
            continue
        for carrier in carriers:
            combos = route_kwargs(pattern, carrier)
            if combos is None:
                unknown.append(pattern.route)
                break
            queue.extend((reverse(pattern.name, kwargs=kwargs), None) for kwargs in combos)
    explored = {}  # a profile → the views and query pairs requested for it
    while queue:
        url, target = queue.popleft()
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        if match.namespace == admin.site.name:
            continue
        seen = explored.setdefault(match.kwargs.get("profile_id"), set())
        view = (match.view_name, *sorted(match.kwargs.items()))
        group = "profile page" if match.view_name in PROFILE_PAGES else view
        new = {view, *((group, pair) for pair in parse_qsl(parts.query))} - seen
        if not new:
            continue
        seen |= new
        answers = []
        if target is None:
            answers.append(visits.get(url))
            if answers[-1] and "hx-request" in answers[-1].get("Vary", "").lower():
                answers.append(visits.get(url, {"HX-Request": "true"}))
        else:
            headers = {"HX-Request": "true"}
            if target:
                headers["HX-Target"] = target.lstrip("#")
            answers.append(visits.get(url, headers))
        for answer in answers:
            if answer is None or answer.html is None:
                continue
            parser = LinkParser()
            parser.feed(answer.html)
            for link, link_target in parser.links:
                parts = urlsplit(link)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), link_target))
    return visits, unknown


def visit_admin(visits):
    """Request the admin index, and each registered model's list, add, change, delete and
    history pages (for rows holding the payloads)."""
    visits.get(reverse("admin:index"))
    for model in admin.site._registry:
        app_label, model_name = model._meta.app_label, model._meta.model_name
        visits.get(reverse("admin:app_list", args=[app_label]))
        visits.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        visits.get(reverse(f"admin:{app_label}_{model_name}_add"))
        for obj in payload_rows(model):
            for view in ("change", "delete", "history"):
                visits.get(reverse(f"admin:{app_label}_{model_name}_{view}", args=[obj.pk]))


def payload_rows(model):
    """Return a few rows of model that between them hold every payload marker it holds."""
    rows, covered = [], set()
    for obj in model._default_manager.all():
        text = " ".join(str(getattr(obj, f.attname)) for f in model._meta.concrete_fields)
        markers = set(MARKER_RE.findall(text)) - covered
        if markers:
            rows.append(obj)
            covered |= markers
    return rows or list(model._default_manager.all()[:1])


# -- The tests ----------------------------------------------------------------------------


def test_the_corpus_covers_the_required_attacks():
    texts = " ".join(p.text for p in CORPUS)
    assert len(CORPUS) >= 10
    for attack in ("<script>", "onerror=", "javascript:", "{{7*7}}", "</textarea>"):
        assert attack in texts
    assert any(len(p.text) >= 10_240 for p in CORPUS)
    assert len({p.marker for p in CORPUS}) == len(CORPUS)
    assert all(p.marker in p.text for p in CORPUS)


def test_the_markup_check_finds_a_payload_rendered_raw():
    text = {p.marker: p.text for p in CORPUS}
    raw = f'<p>{text["XSS02"]}</p><a href="{text["XSS07"]}">x</a><input value={text["XSS06"]}>'
    problems, _ = markup_problems(raw)
    assert any("raw payload XSS02" in p for p in problems)
    assert any("event handler" in p and "XSS02" in p for p in problems)
    assert any("javascript: URL" in p for p in problems)
    assert any("onfocus" in p for p in problems)
    assert markup_problems("<p>49XSS08</p>")[0]


def test_the_markup_check_passes_escaped_payloads():
    from django.utils.html import escape

    page = "".join(
        f'<p title="{escape(p.text)}">{escape(p.text)}</p><textarea>{escape(p.text)}</textarea>'
        for p in CORPUS
    )
    problems, seen = markup_problems(page)
    assert problems == []
    assert seen == {p.marker for p in CORPUS}


def test_the_payloads_reach_every_free_text_field(planted, alice):
    carriers, rejected = planted
    missing = []
    for model, model_field in free_text_fields(alice):
        values = model._default_manager.values_list(model_field.attname, flat=True)
        if not any(MARKER_RE.search(value or "") for value in values):
            missing.append(f"{model._meta.label}.{model_field.name}")
    assert missing == [], f"no payload reached these fields; refusals: {rejected}"
    # Every payload is a custom value and the data of an event; every one an option's length
    # takes is an enum option.
    every = {p.marker for p in CORPUS}
    optional = {p.marker for p in CORPUS if p.text in ENUM_OPTIONS}
    values = [carrier.profile["fields"] for carrier in carriers]
    options = CustomField.objects.filter(type=FieldType.ENUM).values_list("options", flat=True)
    data = Event.objects.values_list("data", flat=True)
    for stored, expected in [(values, every), (list(options), optional), (list(data), every)]:
        assert set(MARKER_RE.findall(json.dumps(stored))) == expected


def test_every_page_fragment_and_admin_page_renders_the_payloads_inert(planted, alice, client):
    carriers, _ = planted
    client.force_login(alice)
    visits, unknown = crawl(client, carriers)
    assert unknown == [], "teach route_kwargs the arguments of these patterns"
    visit_admin(visits)
    assert visits.problems == []
    # The payloads were on the pages, as text.
    assert {p.marker for p in CORPUS} <= visits.seen


# -- In a browser -------------------------------------------------------------------------

# Every element of the live DOM: an event handler attribute, a javascript: URL or a script
# holding a payload marker would be something a payload injected (the pages have none).
INJECTED = r"""() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    for (const {name, value} of element.attributes) {
      const url = ["href", "src", "action", "formaction"].includes(name);
      if (name.startsWith("on") || (url && /^\s*javascript:/i.test(value))) {
        found.push(`<${element.localName} ${name}="${value}">`);
      }
    }
    if (element.localName === "script" && /XSS\d\d/.test(element.textContent)) {
      found.push(`<script>${element.textContent.slice(0, 80)}`);
    }
  }
  return found.concat(window.xssViolations || []);
}"""
# Kept by the page: what the Content Security Policy blocked (an injected inline script).
RECORD_VIOLATIONS = """
window.xssViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.xssViolations.push(`CSP blocked ${event.violatedDirective}: ${event.sample}`);
});
"""


def _settle(page, link):
    """Click an htmx link and wait until its answer is swapped in."""
    path = urlsplit(link.get_attribute("hx-get") or link.get_attribute("href")).path
    with page.expect_response(lambda response: urlsplit(response.url).path == path):
        link.click()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_profile_pages_fire_no_dialog_and_inject_nothing(
    planted, logged_in_page, live_server, bob
):
    carriers, _ = planted
    page = logged_in_page
    dialogs, found = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(RECORD_VIOLATIONS)

    def check(where):
        found.extend(f"{where}: {item}" for item in page.evaluate(INJECTED))

    for carrier in carriers:
        ProfileDatabase.objects.get(pk=carrier.database["id"]).members.add(bob)
        page.goto(f"{live_server.url}/profiles/{carrier.profile['profile_id']}/")
        check(page.url)
        for bar in ("#data-tabs", "#section-tabs"):
            for index in range(page.locator(f"{bar} a[role=tab]").count()):
                _settle(page, page.locator(f"{bar} a[role=tab]").nth(index))
                check(page.url)
        # The last data tab is the custom one showing every field: its form and settings.
        for selector in ("#tab-content a.button:text-is('Edit')", "#data-tabs a.tab-cog"):
            _settle(page, page.locator(selector))
            check(f"{page.url} {selector}")
    assert dialogs == []
    assert found == []
