"""The authorization matrix: every URL pattern x method x role, checked against a table.

The patterns come from walking the URL resolver, so a new page, fragment, API endpoint or
admin page is checked the moment it exists. The expected outcome of each pattern, method
and role lives in ``authorization_matrix.txt`` beside this file (its header explains the
columns). A pattern missing from the table is still checked against the safe defaults
(anonymous, charlie and bob never get through; alice gets no server error), and
``test_the_table_lists_every_pattern`` fails until it has its rows.

Each request runs in a savepoint that is rolled back, so a successful DELETE by one role
does not change what the next role sees.
"""

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from history.models import Event
from profiles.models import CustomField, Profile, ProfileDatabase
from segments.models import Segment, SegmentMembership
from subscriptions.models import Category, Resource, Subscription, SuppressedAddress
from tests.conftest import MARKETER_PERMISSIONS
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
    UserFactory,
)
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
)

TABLE = Path(__file__).with_name("authorization_matrix.txt")
ROLES = ["anonymous", "charlie", "bob", "bob-outsider", "alice"]
DENIED = {"login", "403", "404", "405", "406"}
# Answers that mean the request got past authorization into the view's own logic.
GOT_THROUGH = {400, 409, 410, 415}
LOGIN_PATHS = {reverse("login"), reverse("admin:login")}
PAGE_METHODS = ["GET", "HX-GET", "POST"]
API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The admin checks is_staff (and then the model permission) in AdminSite.admin_view before
# it dispatches any method, so GET stands for every method of an admin page.
ADMIN_METHODS = ["GET"]
# URL parameters that hold integers: identifiers of configuration objects (segments), not
# of personal data. A new integer parameter must be added here deliberately.
INTEGER_PARAMETERS = {"segment_id", "content_type_id"}


# -- The URL patterns -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # namespaced URL name, e.g. "profiles:detail"
    route: str  # the full route, for messages
    callback: object

    @property
    def kind(self):
        if self.name.startswith("admin:"):
            return "admin"
        return "api" if self.name.startswith("api:") else "page"

    @property
    def methods(self):
        return {"admin": ADMIN_METHODS, "api": API_METHODS, "page": PAGE_METHODS}[self.kind]

    @property
    def parameters(self):
        return sorted(_parameters(self.route))


def _parameters(route):
    names = re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)
    return set(names)


def walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Pattern(name, prefix + str(entry.pattern), entry.callback)


PATTERNS = sorted(set(walk(get_resolver().url_patterns)), key=lambda p: p.name)
UNNAMED = [
    str(entry.pattern)
    for entry in get_resolver().url_patterns
    if isinstance(entry, URLPattern) and not entry.name
]


# -- The table --------------------------------------------------------------------------


def read_table():
    rows = {}
    for number, line in enumerate(TABLE.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, method, *outcomes = line.split()
        assert len(outcomes) == len(ROLES), f"{TABLE.name}:{number}: expected {ROLES}"
        rows[name, method] = dict(zip(ROLES, outcomes, strict=True))
    return rows


EXPECTED = read_table()


def expected_row(pattern, method):
    if (pattern.name, method) in EXPECTED:
        return EXPECTED[pattern.name, method]
    for (name, row_method), row in EXPECTED.items():
        if row_method == method and "*" in name and fnmatch.fnmatchcase(pattern.name, name):
            return row
    return None


def format_row(name, method, outcomes):
    cells = [f"{name:<44}", f"{method:<7}"] + [f"{outcomes[r]:<12}" for r in ROLES]
    return " ".join(cells).rstrip()


# -- The world: one of everything in bob's database, and again in another one ----------


@dataclass
class World:
    users: dict
    own: dict  # model → an object bob may see
    outsider: dict  # model → the same kind of object in a database bob is not a member of
    confirmation_token: str


def build_world():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils.timezone import now
    from rest_framework.authtoken.models import Token

    alice = UserFactory(username="alice", is_staff=True, is_superuser=True)
    bob = UserFactory(username="bob")
    bob.user_permissions.add(*Permission.objects.filter(codename__in=MARKETER_PERMISSIONS))
    charlie = UserFactory(username="charlie")
    Token.objects.create(user=charlie)
    Group.objects.create(name="Marketers")

    resource = ResourceFactory(name="Website")
    CategoryFactory(resource=resource, name="News")
    own, outsider = {}, {}
    for bucket, name in [(own, "Customers"), (outsider, "Partners")]:
        database = ProfileDatabaseFactory(name=name)
        profile = ProfileFactory(database=database, phones=["+14155550100"])
        subscription = SubscriptionFactory(profile=profile, resource=resource, status="unconfirmed")
        segment = Segment.objects.create(name=f"{name} VIP", database=database)
        SegmentMembership.objects.create(segment=segment, profile=profile)
        bucket.update(
            {
                ProfileDatabase: database,
                CustomField: CustomFieldFactory(database=database),
                Profile: profile,
                Subscription: subscription,
                Segment: segment,
                Event: EventFactory(profile=profile),
            }
        )
    own[ProfileDatabase].members.add(bob)
    # One of each remaining model the admin shows, so its change pages are checked too.
    SubscriptionFieldFactory(resource=resource)
    SuppressedAddress.objects.create(
        address="gone@example.com", reason="hard_bounced", profile_id=own[Profile].profile_id
    )
    seen = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "bob"}
    seen |= {"http_accept": "*/*", "path_info": "/accounts/login/", "attempt_time": now()}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)
    own[Resource] = resource
    own[Category] = resource.categories.first()
    return World(
        users={"alice": alice, "bob": bob, "charlie": charlie},
        own=own,
        outsider=outsider,
        confirmation_token=own[Subscription].confirmation_token(),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def model_of(pattern):
    """The model a pattern's object parameter addresses, and the attribute that holds it."""
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is not None:  # a DRF view
        queryset = getattr(view_class, "queryset", None)
        if queryset is not None:
            model = queryset.model
        else:
            serializer = getattr(view_class, "serializer_class", None)
            model = serializer.Meta.model if hasattr(serializer, "Meta") else None
        return model, getattr(view_class, "lookup_field", "pk")
    if pattern.kind == "admin":
        for model in admin.site._registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            if pattern.name.startswith(prefix):
                return model, "pk"
    return None, None


def any_object(model, world, objects):
    if model in objects:
        return objects[model]
    return model._default_manager.order_by("pk").first()


def url_kwargs(pattern, world, objects):
    """Fill every URL parameter with an object of ``objects`` (bob's or the outsider's)."""
    model, lookup = model_of(pattern)
    kwargs = {}
    for parameter in pattern.parameters:
        if parameter == "profile_id":
            value = objects[Profile].profile_id
        elif parameter == "subscription_id" or (parameter == "id" and model is Subscription):
            value = objects[Subscription].public_id
        elif parameter == "segment_id":
            value = objects[Segment].pk
        elif parameter == "fmt":
            value = "csv"
        elif parameter == "token":
            value = world.confirmation_token
        elif parameter == "uidb64":
            value = "MQ"
        elif parameter == "app_label":
            value = "profiles"
        elif parameter == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            value = ContentType.objects.get_for_model(Profile).pk
        elif parameter == "object_id" and pattern.name == "admin:view_on_site":
            value = objects[Profile].pk
        elif parameter in {"pk", "object_id", "id"} and model is not None:
            instance = any_object(model, world, objects)
            if instance is None:
                pytest.fail(f"{pattern.name}: the world holds no {model.__name__}; add one")
            value = getattr(instance, lookup)
        else:
            pytest.fail(
                f"{pattern.name} ({pattern.route}): the matrix does not know how to fill the "
                f"URL parameter {parameter!r}; teach url_kwargs()"
            )
        kwargs[parameter] = value
    return kwargs


def addresses_a_database_object(pattern):
    """Whether the pattern names an object that belongs to a profile database."""
    model, _ = model_of(pattern)
    if pattern.kind == "admin":
        return False  # bob is not staff: the admin refuses him before any object lookup
    return bool({"profile_id", "subscription_id", "segment_id"} & set(pattern.parameters)) or (
        model in {ProfileDatabase, CustomField, Subscription} and len(pattern.parameters) > 0
    )


# -- Requests ---------------------------------------------------------------------------


def request(client, pattern, method, url):
    headers = {"HTTP_HX_REQUEST": "true"} if method in {"HX-GET", "POST"} else {}
    if pattern.kind == "page":
        verb = "get" if method == "HX-GET" else method.lower()
        return getattr(client, verb)(url, **headers)
    if method in {"POST", "PUT", "PATCH"}:
        return getattr(client, method.lower())(url, data="{}", content_type="application/json")
    return getattr(client, method.lower())(url)


def outcome(response):
    """What a response means for authorization: got through ("ok") or which refusal."""
    code = response.status_code
    if code == 401:
        return "login"
    if 300 <= code < 400:
        return "login" if urlsplit(response["Location"]).path in LOGIN_PATHS else "ok"
    if 200 <= code < 300 or code in GOT_THROUGH:
        return "ok"
    return str(code)


def observe(pattern, world):
    observed = {}
    own_url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.own))
    outsider_url = None
    if addresses_a_database_object(pattern):
        outsider_url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.outsider))
    for method in pattern.methods:
        row = {}
        for role in ROLES:
            client = Client()
            user = world.users.get(role.split("-")[0])
            if user is not None:
                client.force_login(user)
            url = outsider_url if role == "bob-outsider" else own_url
            if url is None:
                row[role] = "-"
                continue
            with transaction.atomic():
                row[role] = outcome(request(client, pattern, method, url))
                transaction.set_rollback(True)
        observed[method] = row
    return observed


def safe_default(role, result):
    if result.startswith("5"):
        return False
    return role == "alice" or result in DENIED | {"-"}


# -- The gates --------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_every_role_gets_what_the_table_says(pattern, world, db):
    observed = observe(pattern, world)
    problems = []
    for method, row in observed.items():
        expected = expected_row(pattern, method)
        for role, result in row.items():
            if result.startswith("5"):
                problems.append(f"{method} as {role}: server error {result}")
            elif expected is None and not safe_default(role, result):
                problems.append(f"{method} as {role}: {result}, but unlisted patterns deny")
            elif expected is not None and result != expected[role]:
                unexpected = "UNEXPECTED SUCCESS" if result == "ok" else "unexpected refusal"
                problems.append(
                    f"{method} as {role}: {result}, table says {expected[role]} ({unexpected})"
                )
    if os.environ.get("AUTHZ_MATRIX_WRITE"):
        with open(os.environ["AUTHZ_MATRIX_WRITE"], "a") as out:
            for method, row in observed.items():
                out.write(format_row(pattern.name, method, row) + "\n")
    assert not problems, (
        f"{pattern.name} ({pattern.route}):\n  "
        + "\n  ".join(problems)
        + "\nObserved rows:\n"
        + "\n".join(format_row(pattern.name, m, r) for m, r in observed.items())
    )


def test_the_table_lists_every_pattern():
    missing = [
        f"{pattern.name} {method}"
        for pattern in PATTERNS
        for method in pattern.methods
        if expected_row(pattern, method) is None
    ]
    assert not missing, (
        "Add rows to tests/gates/authorization_matrix.txt (run the matrix with "
        "AUTHZ_MATRIX_WRITE=/tmp/rows.txt to get the observed ones) for: " + ", ".join(missing)
    )


def test_the_table_names_no_pattern_that_is_gone():
    names = {pattern.name for pattern in PATTERNS}
    stale = [name for name, _ in EXPECTED if "*" not in name and name not in names]
    assert not stale, f"Rows for URL patterns that no longer exist: {stale}"


def test_every_url_pattern_has_a_name():
    """Unnamed patterns cannot be reversed, so the matrix could not check them."""
    assert UNNAMED == [], f"Name these URL patterns so the matrix checks them: {UNNAMED}"


def test_urls_carry_no_sequential_identifiers_of_personal_data():
    integers = {
        parameter
        for pattern in PATTERNS
        for parameter in _parameters(pattern.route)
        if f"<int:{parameter}>" in pattern.route or f"<path:{parameter}>" in pattern.route
    } - {"object_id"}  # the admin's object_id: staff only, and built by Django
    assert integers <= INTEGER_PARAMETERS, (
        f"Integer URL parameters {integers - INTEGER_PARAMETERS}: personal data is addressed "
        "by non-sequential identifiers (profile_id, public_id)"
    )
