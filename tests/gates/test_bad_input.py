"""Other bad input: NUL bytes, lone surrogates, integers beyond 64 bits, bad page numbers,
unknown ordering values and malformed JSON answer a 400 (404 for pages), never a 500.

Nothing here is a list to keep up to date by hand:

- the API operations, their path and query parameters and every field of their request
  bodies (nested ones, custom field values and event data included) come from the
  OpenAPI schema drf-spectacular generates;
- the pages are the URL patterns under /profiles/ (from the resolver), their query
  parameters the ones each view reads (recorded while it answers), their forms the
  ``<form method="post">`` elements the pages render, tab by tab;
- custom fields of every type exist, for profiles and for subscriptions.

Each probe runs in a savepoint that is rolled back, so one probe cannot change what the
next one sees (and on PostgreSQL a failed statement does not abort the test's transaction).
A probe fails on a server error, on an unexpected status, on an error that does not name
the field, on a refused request that wrote anything (INSERT, UPDATE, DELETE), and on a NUL
or a lone surrogate stored by a form.
"""

import copy
import itertools
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, models, transaction
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.fieldtypes import FieldType
from loyalty.models import Program
from profiles.models import Profile, ProfileDatabase
from promos.models import PromoPool
from relations.models import Relation, RelationType
from segments.models import Segment
from subscriptions.models import Resource
from tests.factories import CustomFieldFactory
from tests.gates.world import PATTERNS, url_kwargs
from tests.subscriptions.factories import SubscriptionFieldFactory

pytestmark = [pytest.mark.django_db, pytest.mark.gates]

NUL = "a\x00b"
SURROGATE = "\ud800"  # json.dumps writes it as the JSON text "\ud800"
BAD_STRINGS = [NUL, SURROGATE]
# 1e400 parses to float("inf"): it is sent as a raw JSON number through this placeholder.
INFINITE = "__raw_json_1e400__"
BAD_NUMBERS = [2**64, -(2**64) - 1, 10**400, INFINITE]
# The same in a URL: %00, the UTF-8 bytes of a lone surrogate (invalid UTF-8), a digit
# that is not ASCII ("²".isdigit() is true, int("²") fails), integers beyond 64 bits and
# beyond what int() converts, page numbers before the first.
BAD_URL_VALUES = ["a%00b", "%ED%A0%80", "%C2%B2", "0", "-1", "99999999999999999999", "9" * 5000]
BAD_PATH_VALUES = ["a%00b", "%ED%A0%80", "%C2%B2", "99999999999999999999", "-1"]
# Parameters the requirement names for every list, whether or not the list declares them.
LIST_PARAMETERS = {
    "ordering": ["nonexistent", "-", "-id,nonexistent", "a%00b", "%ED%A0%80"],
    "page": ["0", "-1", "%C2%B2", "99999999999999999999", "9" * 5000],
    "cursor": ["garbage", "a%00b", "%ED%A0%80"],
}
# Bodies that are not a JSON object: (content type, raw body).
MALFORMED_BODIES = [
    ("application/json", b'{"name": '),
    ("application/json", b"[]"),
    ("application/json", b'"text"'),
    ("application/json", b"null"),
    ("application/json", b"42"),
    ("application/json", b'{"name": NaN}'),
    ("application/json", b'{"name": "\xff\xfe"}'),
    ("application/json", b"\xef\xbb\xbf{}"),
    ("application/json", b'{"a": ' * 100_000),
    ("text/plain", b"{}"),
    ("application/xml", b"<profile/>"),
]
JSON = "application/json"
WRITES = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@pytest.fixture(scope="module")
def custom_names(world, django_db_blocker):
    """Custom profile and subscription fields of every type (cf_<type>) in bob's world, and
    a segment the profile is not in (so the page offers the form to add it)."""
    database, resource = world.own[ProfileDatabase], world.own[Resource]
    with django_db_blocker.unblock():
        Segment.objects.create(name="Newsletter", database=database)
        for field_type in FieldType:
            options = ["a", "b"] if field_type == FieldType.ENUM else []
            name = f"cf_{field_type}"
            CustomFieldFactory(database=database, name=name, type=field_type, options=options)
            SubscriptionFieldFactory(resource=resource, name=name, type=field_type, options=options)
    return [f"cf_{field_type}" for field_type in FieldType]


# -- Probing: a savepoint per request, writes recorded -----------------------------------


class Failures(list):
    def check(self):
        assert not self, f"{len(self)} bad answers:\n" + "\n".join(self[:60])


@dataclass
class Answer:
    status: int
    body: bytes
    data: object  # the parsed JSON body, if any
    writes: list  # (statement, table) of every INSERT, UPDATE and DELETE run
    stored_bad_text: list  # models written that now hold a NUL or a lone surrogate


def send(client, method, url, failures, label, **kwargs):
    """Make one request in a savepoint rolled back afterwards; None after a server error."""
    with transaction.atomic():
        try:
            with CaptureQueriesContext(connection) as queries:
                response = client.generic(method, url, **kwargs)
                streamed = response.streaming
                body = b"".join(response.streaming_content) if streamed else response.content
        except Exception as error:  # the test client re-raises what the view raised
            failures.append(f"{label}: server error {type(error).__name__}: {error}"[:300])
            transaction.set_rollback(True)
            return None
        writes = [m.groups() for q in queries.captured_queries if (m := WRITES.match(q["sql"]))]
        data = json.loads(body) if "json" in response.get("Content-Type", "") else None
        answer = Answer(response.status_code, body, data, writes, _stored_bad_text(writes))
        transaction.set_rollback(True)
    if answer.status >= 500:
        failures.append(f"{label}: {answer.status}")
    return answer


def _bad_text(value):
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_bad_text(k) or _bad_text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_bad_text(v) for v in value)
    return False


def _stored_bad_text(writes):
    """Return the models written in this request whose rows now hold a NUL or a surrogate."""
    tables = {table for statement, table in writes if not statement.upper().startswith("DELETE")}
    found = []
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        text = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if text and any(_bad_text(row) for row in model._default_manager.values_list(*text)):
            found.append(model._meta.label)
    return found


def names(detail, key):
    """Whether an error body names ``key``: as a key at any depth, or in a message."""
    if isinstance(detail, dict):
        return key in detail or any(names(value, key) for value in detail.values())
    if isinstance(detail, list):
        return any(names(value, key) for value in detail)
    return isinstance(detail, str) and key in detail


def encode(body):
    text = json.dumps(body)  # ensure_ascii: a lone surrogate travels as "\ud800"
    return text.replace(f'"{INFINITE}"', "1e400").encode()


# -- The API, from its OpenAPI schema ------------------------------------------------------

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = SCHEMA["components"]["schemas"]


def deref(schema):
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            merged |= deref(part)
        schema = merged
    return schema


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict

    def __str__(self):
        return f"{self.method} {self.path}"

    def parameters(self, where):
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    @property
    def body(self):
        content = self.spec.get("requestBody", {}).get("content", {})
        return deref(content[JSON]["schema"]) if JSON in content else None

    @property
    def is_list(self):
        return self.method == "GET" and any(
            p["name"] in {"page", "cursor"} for p in self.parameters("query")
        )


OPERATIONS = [
    Operation(method.upper(), path, spec)
    for path, item in SCHEMA["paths"].items()
    for method, spec in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]
WRITE_OPERATIONS = [op for op in OPERATIONS if op.body is not None]


def leaves(schema, path=()):
    """Yield (path, kind) of every writable value of a request body; kind is its JSON type,
    or "object" for a free-form object (custom values, event data)."""
    schema = deref(schema)
    if schema.get("readOnly"):
        return
    for alternative in schema.get("oneOf", []):
        yield from leaves(alternative, path)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties")
        if properties:
            for name, sub in properties.items():
                yield from leaves(sub, (*path, name))
        elif path:
            yield path, "object"
    elif kind == "array":
        items = schema.get("items") or {}
        if {"type", "$ref", "oneOf", "allOf"} & set(items):
            yield from leaves(items, (*path, 0))
    elif kind in {"string", "integer", "number"} or "enum" in schema:
        yield path, kind or "string"


def with_value(base, path, value):
    """Return a copy of ``base`` with ``value`` at ``path`` (dict keys and list indexes)."""
    body = copy.deepcopy(base)
    node = body
    for key, following in itertools.pairwise(path):
        empty = [] if isinstance(following, int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(copy.deepcopy(empty))
            if not isinstance(node[key], list | dict):
                node[key] = empty
        elif not isinstance(node.get(key), list | dict):
            node[key] = empty
        node = node[key]
    if isinstance(path[-1], int):
        while len(node) <= path[-1]:
            node.append(None)
    node[path[-1]] = value
    return body


def _get(body, path):
    for key in path:
        try:
            body = body[key]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def _label(path, value):
    shown = "1e400" if value == INFINITE else repr(value)
    return ".".join(str(part) for part in path) + "=" + shown[:30]


def body_probes(op, base, custom_names):
    """Yield (label, path, body): every field of the body with each bad value in turn.

    A free-form object gets the bad values under its current keys, every custom field name
    and an unknown key, and the bad strings as keys.
    """
    for path, kind in dict.fromkeys(leaves(op.body)):
        if kind == "object":
            current = _get(base, path)
            keys = [*(current if isinstance(current, dict) else {}), *custom_names, "extra"]
            values = [*BAD_STRINGS, *([text] for text in BAD_STRINGS), *BAD_NUMBERS]
            for key, value in itertools.product(dict.fromkeys(keys), values):
                yield (
                    _label((*path, key), value),
                    (*path, key),
                    with_value(base, (*path, key), value),
                )
            for key in BAD_STRINGS:
                yield _label((*path, key), "key"), path, with_value(base, (*path, key), "x")
        elif kind in {"integer", "number"}:
            for value in BAD_NUMBERS:
                yield _label(path, value), path, with_value(base, path, value)
        else:
            for value in BAD_STRINGS:
                yield _label(path, value), path, with_value(base, path, value)


def minimal_body(op, world):
    """A body the operation accepts, so that a probe is refused for its bad value alone.

    PATCH needs nothing; PUT sends back what GET shows (read by the caller). A POST needs
    its required values, which the schema cannot give (an existing resource, an unused
    name): they are written here, and a new POST operation fails until it has its row.
    """
    if op.method == "PATCH":
        return {}
    if op.method == "PUT":
        return None
    database, profile = world.own[ProfileDatabase].pk, world.own[Profile].profile_id
    bodies = {
        "/api/v1/databases/": {"name": "Probe database"},
        "/api/v1/custom-fields/": {"database": database, "name": "probe", "type": "line"},
        "/api/v1/profiles/": {"database": database},
        "/api/v1/profiles/import/": {
            "database": database,
            "match": "email",
            "profiles": [{"email": "new@example.com"}],
        },
        "/api/v1/resources/": {
            "name": "Probe resource",
            "categories": [{"name": "Offers"}],
            "fields": [{"name": "probe", "type": "line"}],
        },
        "/api/v1/profiles/{profile_id}/subscriptions/": {
            "resource": world.own[Resource].pk,
            "channel": "email",
            "contact": "new@example.com",
        },
        "/api/v1/segments/": {"name": "Probe segment", "database": database},
        "/api/v1/segments/{id}/members/": {"profile_id": profile},
        "/api/v1/exports/": {"database": database, "search": "", "status": ["subscribed"]},
        "/api/v1/jobs/{id}/cancel/": {},
        "/api/v1/triggers/": {
            "name": "Probe trigger",
            "database": database,
            "resource": world.own[Resource].pk,
            "channel": "email",
            "subject": "Hello {{ profile.first_name }}",
            "body": "Welcome.",
        },
        "/api/v1/scenarios/": {
            "name": "Probe scenario",
            "database": database,
            "steps": [{"type": "wait", "seconds": 60}],
        },
        "/api/v1/profiles/{profile_id}/triggers/{trigger_id}/send/": {},
        "/api/v1/profiles/{profile_id}/scenarios/{scenario_id}/engage/": {},
        "/api/v1/databases/{database_id}/control-group/reform/": {},
        "/api/v1/products/": {"database": database, "sku": "PROBE", "name": "Probe", "price": 1},
        "/api/v1/orders/": {
            "profile_id": profile,
            "number": "Probe order",
            "lines": [{"sku": "TEE-M", "quantity": 1, "price": 2.5}],
        },
        "/api/v1/relation-types/": {"name": "Probe type", "database": database},
        "/api/v1/loyalty-programs/": {
            "name": "Probe club",
            "database": database,
            "description": "Probe",
            "tiers": [{"name": "Base", "threshold": 0}],
        },
        "/api/v1/profiles/{profile_id}/loyalty/": {
            "program": Program.objects.filter(database_id=database)
            .exclude(pk=world.own[Program].pk)[0]
            .pk
        },
        "/api/v1/profiles/{profile_id}/loyalty/{program_id}/transactions/": {
            "points": 5,
            "reason": "Probe",
        },
        "/api/v1/profiles/{profile_id}/relations/": {
            "type": world.own[RelationType].pk,
            "profile_id": world.own[Relation].to_profile.profile_id,
            "direction": "incoming",  # the world's relation goes the other way
            "properties": {"note": "probe"},
        },
        "/api/v1/promo-pools/": {"name": "Probe pool", "database": database},
        "/api/v1/promo-pools/{id}/codes/": {"codes": ["PROBE-1", "PROBE-2"]},
        "/api/v1/profiles/{profile_id}/promo-codes/": {"pool": world.own[PromoPool].pk},
        "/api/v1/profiles/{profile_id}/promo-codes/{code_id}/activate/": {},
        "/api/v1/events/": {
            "profile_id": profile,
            "type": "click",
            "data": {"url": "https://example.com/"},
        },
        "/api/v1/forms/": {
            "name": "Probe form",
            "database": database,
            "fields": [{"name": "email"}],
        },
        "/api/v1/forms/{form_id}/submit/": {
            "data": {"email": "probe@example.com"},
            "utm": {"utm_source": "probe"},
            "anonymous_id": "probe-visitor",
        },
        "/api/v1/pixels/": {"name": "Probe pixel", "database": database, "goals": [{"name": "v"}]},
        "/api/v1/pixels/{pixel_id}/hit/": {
            "goal": "purchase",
            "value": 1,
            "url": "https://example.com/",
            "referrer": "https://example.com/from",
            "ip": "8.8.8.8",
            "anonymous_id": "probe-visitor",
            "data": {"probe": 1},
        },
    }
    if op.path not in bodies:
        pytest.fail(f"{op}: give minimal_body() a body this operation accepts")
    return bodies[op.path]


def api_url(op, world, **override):
    """The operation's path, its parameters filled with bob's objects (or ``override``)."""
    match = resolve(re.sub(r"\{\w+\}", "1", op.path))  # "1" fits <int:…> and <str:…>
    pattern = next(p for p in PATTERNS if p.name == match.view_name)
    values = url_kwargs(pattern, world, world.own)
    if "pk" in values:  # drf-spectacular calls the router's pk "id" (SCHEMA_COERCE_PATH_PK)
        values["id"] = values.pop("pk")
    values |= override
    return re.sub(r"\{(\w+)\}", lambda found: str(values[found[1]]), op.path)


@pytest.fixture
def api(world, custom_names):
    client = APIClient()
    client.force_authenticate(world.users["alice"])
    return client


def base_body(op, api, world, url):
    base = minimal_body(op, world)
    if base is None:  # PUT: what GET shows, limited to what the operation takes
        shown = api.get(url).json()
        base = {key: shown[key] for key in op.body.get("properties", {}) if key in shown}
    return base


@pytest.mark.parametrize("op", WRITE_OPERATIONS, ids=str)
def test_every_body_field_refuses_nul_surrogates_and_huge_numbers(op, api, world, custom_names):
    url = api_url(op, world)
    base = base_body(op, api, world, url)
    failures = Failures()
    accepted = send(api, op.method, url, failures, "base", data=encode(base), content_type=JSON)
    assert accepted and accepted.status < 300, f"{op}: the base body is refused: {accepted}"
    for label, path, body in body_probes(op, base, custom_names):
        answer = send(api, op.method, url, failures, label, data=encode(body), content_type=JSON)
        if answer is None:
            continue
        field = next(part for part in reversed(path) if isinstance(part, str))
        refused = answer.status == 400
        outer = path[0]
        if answer.status == 200 and isinstance(answer.data, dict) and "results" in answer.data:
            # A batch (an import) answers per row: every row must be refused, its errors
            # naming the field (the row's, not the list's).
            refused = all(row.get("status") == "error" for row in answer.data["results"])
            outer = field
        if not refused:
            failures.append(f"{label}: {answer.status} {answer.body[:200]!r}")
        elif not (names(answer.data, outer) and names(answer.data, field)):
            failures.append(f"{label}: the error does not name {field!r}: {answer.body[:200]!r}")
        elif answer.writes:
            failures.append(f"{label}: refused but wrote {answer.writes}")
    failures.check()


@pytest.mark.parametrize("op", WRITE_OPERATIONS, ids=str)
def test_malformed_bodies_are_refused(op, api, world):
    url = api_url(op, world)
    failures = Failures()
    for content_type, raw in MALFORMED_BODIES:
        label = f"{content_type} {raw[:24]!r}"
        answer = send(api, op.method, url, failures, label, data=raw, content_type=content_type)
        if answer is None:
            continue
        expected = 400 if content_type == JSON else 415
        if answer.status != expected:
            failures.append(f"{label}: {answer.status} {answer.body[:200]!r}")
        elif answer.writes:
            failures.append(f"{label}: refused but wrote {answer.writes}")
    failures.check()


def query_probes(op):
    """Yield (name, value, strict) for the operation's query parameters; a strict one (a
    number, a flag, a choice, page, cursor, ordering) must answer 400 to a bad value."""
    declared = {p["name"]: p for p in op.parameters("query")}
    for name, parameter in declared.items():
        schema = deref(parameter.get("schema", {}))
        if schema.get("type") == "array":
            schema = deref(schema.get("items", {}))
        kind = schema.get("type")
        strict = kind in {"integer", "number", "boolean"} or "enum" in schema
        strict = strict or name in LIST_PARAMETERS
        values = {"a%00b", "%ED%A0%80", "notadate", *LIST_PARAMETERS.get(name, [])}
        if kind in {"integer", "number"}:
            values |= {"0", "-1", "%C2%B2", str(2**64), "1e400", "9" * 5000}
        if "enum" in schema or kind == "boolean":
            values |= {"nonexistent"}
        for value in sorted(values):
            yield name, value, strict
    if op.is_list:
        for name, values in LIST_PARAMETERS.items():
            if name not in declared:  # a list without it ignores it, as any unknown parameter
                for value in values:
                    yield name, value, False


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.parameters("query")], ids=str)
def test_bad_query_parameters_are_refused(op, api, world):
    """A typed parameter answers 400 naming it; a plain search text may answer 200."""
    url = api_url(op, world)
    base = base_body(op, api, world, url) if op.body is not None else None
    kwargs = {"data": encode(base), "content_type": JSON} if base is not None else {}
    failures = Failures()
    for name, value, strict in query_probes(op):
        label = f"?{name}={value[:30]}"
        answer = send(api, op.method, f"{url}?{name}={value}", failures, label, **kwargs)
        if answer is None:
            continue
        # A well-formed page number past the last page is not found (DRF's "Invalid page").
        expected = {400} if strict else {200, 201, 400}
        if strict and name == "page":
            expected.add(404)
        if answer.status not in expected:
            failures.append(f"{label}: {answer.status} {answer.body[:200]!r}")
        elif answer.status == 400 and not names(answer.data, name):
            failures.append(f"{label}: the error does not name {name!r}: {answer.body[:200]!r}")
    failures.check()


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.parameters("path")], ids=str)
def test_bad_path_parameters_find_nothing(op, api, world):
    failures = Failures()
    kwargs = {"data": b"{}", "content_type": JSON} if op.body is not None else {}
    for parameter in op.parameters("path"):
        for value in BAD_PATH_VALUES:
            url = api_url(op, world, **{parameter["name"]: value})
            answer = send(api, op.method, url, failures, url, **kwargs)
            if answer is not None and answer.status not in {400, 404}:
                failures.append(f"{url}: {answer.status} {answer.body[:200]!r}")
    failures.check()


# -- The pages ------------------------------------------------------------------------------

PAGE_PATTERNS = [
    p for p in PATTERNS if p.kind == "page" and p.route.startswith(("profiles/", "jobs/"))
]
ADMIN_OBJECT_PATTERNS = [p for p in PATTERNS if p.kind == "admin" and p.parameters == ["object_id"]]
PAGE_ANSWERS = {200, 400, 403, 404}  # 403: bob may not delete, whatever the input
USERS = ["alice", "bob"]


def page_url(pattern, world):
    return reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.own))


@contextmanager
def recording_query_reads():
    """Record the names a view looks up in a QueryDict (request.GET and its copies)."""
    read = set()
    originals = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__")}
    originals["__contains__"] = QueryDict.__contains__

    def recorder(original):
        def reader(self, key, *args, **kwargs):
            read.add(key)
            return original(self, key, *args, **kwargs)

        return reader

    for name, original in originals.items():
        setattr(QueryDict, name, recorder(original))
    try:
        yield read
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("username", USERS)
def test_page_query_parameters_never_fail(username, world, custom_names):
    """page=0, huge pages, NUL, surrogates, unknown filters: 200, 400 or 404, never 500."""
    client = logged_in(world.users[username])
    failures = Failures()
    for pattern in PAGE_PATTERNS:
        url = page_url(pattern, world)
        with recording_query_reads() as read:
            answer = send(client, "GET", url, failures, f"{username} GET {url}")
        if answer is None or answer.status == 405:
            continue  # a POST-only view: its query parameters come with its form's action
        for key in sorted(read):  # a parameter the view does not read cannot break it
            for value in BAD_URL_VALUES:
                label = f"{username} GET {url}?{key}={value[:30]}"
                answer = send(client, "GET", f"{url}?{key}={value}", failures, label)
                if answer is not None and answer.status not in PAGE_ANSWERS:
                    failures.append(f"{label}: {answer.status}")
    failures.check()


def fill(route, values):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match[1]]), route)


def test_bad_ids_in_page_urls_find_nothing(world, custom_names):
    """A NUL, a surrogate or a huge number where an id goes finds nothing: 404 (the admin
    redirects to its index saying the object does not exist, or refuses a read-only one)."""
    failures = Failures()
    client = logged_in(world.users["alice"])
    for pattern in PAGE_PATTERNS + ADMIN_OBJECT_PATTERNS:
        filled = url_kwargs(pattern, world, world.own)
        for name in pattern.parameters:
            if name == "fmt":
                continue
            for value in BAD_PATH_VALUES:
                path = "/" + fill(pattern.route, filled | {name: value})
                for method in ("GET", "POST"):
                    answer = send(client, method, path, failures, f"{method} {path}")
                    if answer is not None and answer.status not in {302, 400, 403, 404, 405}:
                        failures.append(f"{method} {path}: {answer.status}")
    failures.check()


# -- Forms: found in the pages, each field sent with a NUL and a lone surrogate ----------


@dataclass
class Form:
    action: str
    fields: dict  # name → (kind, the value a browser sends, or None)

    def data(self):
        return {name: value for name, (_, value) in self.fields.items() if value is not None}


class FormParser(HTMLParser):
    """Collect a page's links and POST forms, with the values a browser would send."""

    TEXT = {"text", "email", "search", "tel", "url", "number", "date", "datetime-local"}
    TEXT |= {"textarea"}

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.forms, self.links = [], set()
        self.form = self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.add(urljoin(self.page_url, attrs["href"]))
        elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.form = Form(urljoin(self.page_url, attrs.get("action") or ""), {})
            self.forms.append(self.form)
        elif tag == "option" and self.form is not None and self.select is not None:
            kind, value = self.form.fields[self.select]
            if value is None or "selected" in attrs:
                self.form.fields[self.select] = (kind, attrs.get("value", ""))
        elif self.form is not None and attrs.get("name"):
            self._field(tag, attrs["name"], attrs)

    def _field(self, tag, name, attrs):
        fields = self.form.fields
        if tag == "select":
            self.select = name
            fields[name] = ("select", None)
        elif tag == "textarea":
            self.textarea = name
            fields[name] = ("textarea", "")
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                sent = attrs.get("value", "on") if "checked" in attrs else None
                fields[name] = (kind, sent if sent is not None else fields.get(name, ("", None))[1])
            elif kind not in {"submit", "button", "image", "reset"}:
                fields[name] = (kind, attrs.get("value", ""))

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            kind, value = self.form.fields[self.textarea]
            self.form.fields[self.textarea] = (kind, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag in {"select", "textarea"}:
            self.select = self.textarea = None


def crawl_forms(client, world, failures):
    """GET every profile page and the tab variants they link to; return their POST forms."""
    profile_id = world.own[Profile].profile_id
    start = [page_url(p, world) for p in PAGE_PATTERNS if "fmt" not in p.parameters]
    root = reverse("profiles:list")
    seen, queue, forms = set(), start, {}
    while queue and len(seen) < 100:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        answer = send(client, "GET", url, failures, f"GET {url}")
        if answer is None or answer.status != 200 or answer.data is not None:
            continue
        parser = FormParser(url)
        parser.feed(answer.body.decode())
        for form in parser.forms:
            path = urlsplit(form.action).path
            if path.startswith(root):  # the same form under another ?tab= is the same code
                forms.setdefault((path, tuple(sorted(form.fields))), form)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.path.startswith(root) and (
                profile_id in parts.path or parts.path == reverse("profiles:create")
            ):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(forms.values())


def has_field_error(body, name):
    """Whether the answer marks the field invalid (Django adds aria-invalid to its widget)."""
    for match in re.finditer(rb"<(?:input|select|textarea)\b[^>]*>", body):
        tag = match.group(0)
        if f'name="{name}"'.encode() in tag and b'aria-invalid="true"' in tag:
            return True
    return False


def form_probes(form):
    """Yield (label, bad field names, body): a NUL in each text input on its own (its error
    must show beside it); a NUL, a huge number and "²" in every choice and id at once (their
    fields are cleaned one by one, so a crash in any shows); invalid UTF-8 everywhere at once
    (a form body cannot carry a lone surrogate: Django decodes it as U+FFFD)."""
    fields = {
        name: kind
        for name, (kind, _) in form.fields.items()
        if name != "csrfmiddlewaretoken" and kind != "file"
    }
    choices = [name for name, kind in fields.items() if kind not in FormParser.TEXT]
    batches = [
        (f"{name}=NUL", [name], "a%00b") for name, kind in fields.items() if kind in FormParser.TEXT
    ]
    batches += [
        ("choices=NUL", choices, "a%00b"),
        ("choices=99999999999999999999", choices, "99999999999999999999"),
        ("choices=²", choices, "%C2%B2"),
        ("all=invalid UTF-8", list(fields), "%ED%A0%80"),
    ]
    for label, bad, raw in batches:
        if bad:
            kept = urlencode({key: v for key, v in form.data().items() if key not in bad})
            sent = "&".join(f"{name}={raw}" for name in bad)
            yield label, bad, f"{kept}&{sent}".lstrip("&")


@pytest.mark.parametrize("username", USERS)
def test_form_fields_refuse_nul_and_bad_numbers(username, world, custom_names):
    """A NUL in a text input is an error beside the field (or a 400/404), never saved; bad
    choices and ids are refused; nothing is a 500."""
    client = logged_in(world.users[username])
    failures = Failures()
    forms = crawl_forms(client, world, failures)
    assert len(forms) > 5, f"the crawl found only {[form.action for form in forms]}"
    for form in forms:
        for shown, bad, body in form_probes(form):
            label = f"{username} POST {form.action} {shown}"
            answer = send(
                client,
                "POST",
                form.action,
                failures,
                label,
                data=body,
                content_type="application/x-www-form-urlencoded",
            )
            if answer is None:
                continue
            if answer.status not in PAGE_ANSWERS | {302}:
                failures.append(f"{label}: {answer.status}")
            if answer.stored_bad_text:
                failures.append(f"{label}: stored in {answer.stored_bad_text}")
            if len(bad) == 1 and form.fields[bad[0]][0] in FormParser.TEXT:
                if answer.status == 302:
                    failures.append(f"{label}: accepted (302)")
                elif answer.status == 200 and not has_field_error(answer.body, bad[0]):
                    failures.append(f"{label}: 200 without an error beside the field")
    failures.check()


# -- The admin's lists: search, page, ordering and filter parameters -----------------------


def field_probes(model):
    """A filter of each text and date column with a value no database compares."""
    probes = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            probes.append(f"{field.name}__exact=%00")
        elif isinstance(field, models.DateField):
            probes.append(f"{field.name}__year=99999999999999999999999")
            probes.append(f"{field.name}__month=%00")
    return probes


def test_admin_lists_survive_bad_parameters(world):
    client = logged_in(world.users["alice"])
    failures = Failures()
    probes = ["q=a%00b", "q=%ED%A0%80", "p=99999999999999999999", "p=-1", "p=%C2%B2"]
    probes += ["o=nonexistent", "o=99.-99", "unknown=a%00b", "id__exact=99999999999999999999"]
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for probe in [*probes, *field_probes(model)]:
            answer = send(client, "GET", f"{url}?{probe}", failures, f"{url}?{probe}")
            if answer is not None and answer.status not in {200, 302}:
                failures.append(f"{url}?{probe}: {answer.status}")
    failures.check()


def test_the_probes_reach_deep_fields():
    """The schema walk finds nested fields and free-form objects (a guard on the walker)."""
    found = {path for op in WRITE_OPERATIONS for path, _ in leaves(op.body)}
    assert ("profiles", 0, "fields") in found  # import rows' custom values
    assert ("categories", 0, "name") in found  # a resource's nested categories
    assert ("data",) in found  # event data
