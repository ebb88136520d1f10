"""Mass assignment: read-only and privileged fields sent by a client never stick.

For every API endpoint that writes (found by walking the URL resolver) the gate sends a
valid body plus every read-only field of the endpoint's serializer and every privileged
name (identifiers, timestamps, staff flags, owners, permissions) with forged values. For
the pages it follows the links of a profile page like a user would, fills every form it
finds with what the page offers, adds the same forged fields, and submits it. Afterwards
no forged value may be stored anywhere, and the objects that existed keep their
identifiers, owners and permissions.

A serializer or model form that takes ``fields = "__all__"`` (or ``exclude``) fails too:
new model fields would become writable without anyone deciding so.
"""

import inspect
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.db import models, transaction
from django.test import Client
from django.urls import resolve, reverse
from rest_framework import serializers

from jobs.models import Job
from loyalty.models import Program
from profiles.models import Profile, ProfileDatabase
from promos.models import PromoPool
from relations.models import Relation, RelationType
from subscriptions.models import Subscription
from tests.gates.world import PATTERNS, url_kwargs

pytestmark = pytest.mark.gates

OUR_APPS = (
    "config",
    "profiles",
    "subscriptions",
    "history",
    "segments",
    "audit",
    "jobs",
    "interactions",
    "relations",
    "market",
    "promos",
    "loyalty",
)
# Packages holding the serializers and forms (the apps' models are in OUR_APPS).
OUR_PACKAGES = (*OUR_APPS, "core", "operations", "web", "demo")
FORGED_ID = 987654321
FORGED_HEX = "deadbeefdeadbeefdeadbeef"
FORGED_TEXT = "forged-by-client"
FORGED_TIME = "2001-02-03T04:05:06Z"
FORGED_YEAR = 2001
# Names that only the server may set. Sent wherever a serializer or form does not accept
# them as input; the read-only fields of each serializer are added to these.
PRIVILEGED = {
    "id": FORGED_ID,
    "pk": FORGED_ID,
    "profile_id": FORGED_HEX,
    "public_id": FORGED_HEX,
    "md5": "d" * 32,
    "xxh": "d" * 16,
    "created_at": FORGED_TIME,
    "updated_at": FORGED_TIME,
    "added_at": FORGED_TIME,
    "is_staff": True,
    "is_superuser": True,
    "user": None,  # filled with charlie's id
    "owner": None,
    "created_by": None,
    "members": None,
    "visible_to": None,
    "user_permissions": None,
    "groups": None,
}


def forged(name, world):
    if name in PRIVILEGED and PRIVILEGED[name] is not None:
        return PRIVILEGED[name]
    if name in PRIVILEGED:  # a user or users: charlie, who has no access at all
        charlie = world.users["charlie"].pk
        return [charlie] if name.endswith("s") or name == "visible_to" else charlie
    return FORGED_TEXT


# -- What must hold after every request -------------------------------------------------


def snapshot(world):
    """The server-owned state of the world: identifiers, owners, staff flags, permissions."""
    state = {}
    for side in (world.own, world.outsider):
        profile = Profile.objects.get(pk=side[Profile].pk)
        state[f"profile {profile.pk}"] = (
            profile.profile_id,
            profile.md5,
            profile.xxh,
            profile.created_at,
            profile.database_id,
        )
        subscription = Subscription.all_objects.get(pk=side[Subscription].pk)
        state[f"subscription {subscription.pk}"] = (
            subscription.public_id,
            subscription.profile_id,
            subscription.created_at,
        )
        database = ProfileDatabase.objects.get(pk=side[ProfileDatabase].pk)
        state[f"database {database.pk}"] = (
            database.created_at,
            sorted(database.members.values_list("pk", flat=True)),
        )
    for name, user in world.users.items():
        user.refresh_from_db()
        state[f"user {name}"] = (
            user.is_staff,
            user.is_superuser,
            sorted(user.user_permissions.values_list("codename", flat=True)),
            sorted(user.groups.values_list("name", flat=True)),
        )
    return state


def forged_values_stored():
    """Every place a forged value landed: a field named like a privileged name holding it."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        rows = model._base_manager  # soft-deleted rows too
        if rows.filter(pk=FORGED_ID).exists():
            found.append(f"{model.__name__} with pk {FORGED_ID}")
        for field in model._meta.concrete_fields:
            value = PRIVILEGED.get(field.name)  # None for the user references: see below
            if isinstance(field, models.DateTimeField):
                lookup = {f"{field.name}__year": FORGED_YEAR}
            elif isinstance(field, models.CharField | models.TextField):
                candidates = [FORGED_TEXT] + ([value] if isinstance(value, str) else [])
                lookup = {f"{field.name}__in": candidates}
            else:
                continue
            if rows.filter(**lookup).exists():
                found.append(f"{model.__name__}.{field.name} holds a forged value")
    return found


def charlie_gained_access(world):
    """Charlie is the user every forged owner, member or user field names."""
    charlie = world.users["charlie"]
    problems = []
    if ProfileDatabase.objects.filter(members=charlie).exists():
        problems.append("charlie became a member of a database")
    if ProfileDatabase.objects.visible_to(charlie).exists():
        problems.append("charlie was given sight of a database")
    if Job.objects.filter(created_by=charlie).exists():
        problems.append("a job was started in charlie's name")
    return problems


def check_nothing_stuck(world, before, what):
    problems = forged_values_stored() + charlie_gained_access(world)
    after = snapshot(world)
    problems += [
        f"{key} changed: {before[key]} → {after[key]}"
        for key in before
        if before[key] != after[key]
    ]
    return [f"{what}: {problem}" for problem in problems]


# -- The API ----------------------------------------------------------------------------


def writes(pattern):
    """The (method, action) pairs by which an API pattern writes, for DRF views."""
    actions = getattr(pattern.callback, "actions", None)
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is None:
        return []
    if actions is not None:
        return [(m.upper(), a) for m, a in actions.items() if m in {"post", "patch"}]
    return [(m.upper(), m) for m in ("post", "patch") if hasattr(view_class, m)]


API_WRITES = [
    (pattern, method, action)
    for pattern in PATTERNS
    if pattern.kind == "api"
    for method, action in writes(pattern)
]


def serializer_of(pattern, action):
    """The serializer class the view uses for ``action``, or None for hand-checked input."""
    view_class = pattern.callback.cls
    # The router's keyword arguments carry an extra action's own serializer_class.
    initkwargs = getattr(pattern.callback, "initkwargs", {})
    view = view_class(**initkwargs, action=action, format_kwarg=None, kwargs={}, request=None)
    try:
        return view.get_serializer_class()
    except (AssertionError, AttributeError):
        return None


def fields_of(serializer_class, world):
    """The read-only and the writable field names of a serializer."""
    if serializer_class is None:
        return set(), set()
    request = type("Request", (), {"user": world.users["alice"], "query_params": {}})()
    serializer = serializer_class(context={"request": request})
    read_only = {name for name, field in serializer.fields.items() if field.read_only}
    writable = {name for name, field in serializer.fields.items() if not field.read_only}
    return read_only, writable


def minimal_body(name, world):
    """A valid body for each endpoint that creates; PATCH needs none (an empty body is valid).

    Written by hand because a valid body needs knowledge of the endpoint; the gate fails
    for a new creating endpoint until it has one here.
    """
    own = world.own
    profile_id = own[Profile].profile_id
    bodies = {
        "api:database-list": {"name": "Forged"},
        "api:customfield-list": {
            "database": own[ProfileDatabase].pk,
            "name": "forged_field",
            "type": "line",
        },
        "api:profile-list": {"database": own[ProfileDatabase].pk, "email": "new@example.com"},
        "api:profile-import": {
            "database": own[ProfileDatabase].pk,
            "match": "email",
            "profiles": [{"email": "imported@example.com"}],
        },
        "api:profile-subscriptions": {
            "resource": own[Subscription].resource_id,
            "channel": "email",
            "contact": "new@example.com",
        },
        "api:resource-list": {"name": "Forged resource"},
        "api:event-list": {"profile_id": profile_id, "type": "open"},
        "api:segment-list": {"name": "Forged segment", "database": own[ProfileDatabase].pk},
        "api:segment-members": {"profile_id": profile_id},
        "api:export-list": {"database": own[ProfileDatabase].pk, "format": "csv"},
        "api:job-cancel": {},
        "api:trigger-list": {
            "name": "Forged trigger",
            "database": own[ProfileDatabase].pk,
            "resource": own[Subscription].resource_id,
            "channel": "email",
            "subject": "Hello {{ profile.first_name }}",
            "body": "Welcome, {{ profile.first_name }}.",
        },
        "api:scenario-list": {
            "name": "Forged scenario",
            "database": own[ProfileDatabase].pk,
            "steps": [{"type": "wait", "seconds": 60}],
        },
        "api:profile-trigger-send": {},
        "api:profile-scenario-engage": {},
        "api:control-group-reform": {},
        "api:promopool-list": {"name": "Forged pool", "database": own[ProfileDatabase].pk},
        "api:promopool-codes": {"codes": ["FORGED-1"]},
        "api:profile-promo-codes": {"pool": own[PromoPool].pk},
        "api:profile-promo-code-activate": {},
        "api:product-list": {
            "database": own[ProfileDatabase].pk,
            "sku": "FORGED-SKU",
            "name": "Forged product",
            "price": 1,
        },
        "api:order-list": {
            "profile_id": profile_id,
            "number": "Forged order",
            "lines": [{"sku": "TEE-M", "quantity": 1}],
        },
        "api:relation-type-list": {"name": "Forged type", "database": own[ProfileDatabase].pk},
        "api:loyalty-program-list": {
            "name": "Forged club",
            "database": own[ProfileDatabase].pk,
            "tiers": [{"name": "Base", "threshold": 0}],
        },
        "api:profile-loyalty": {"program": unjoined_program(world).pk},
        "api:profile-loyalty-transactions": {"points": 5, "reason": "Forged test"},
        "api:profile-relations": {
            "type": own[RelationType].pk,
            "profile_id": own[Relation].to_profile.profile_id,
            "direction": "incoming",  # the world's relation goes the other way
        },
        "api:form-list": {
            "name": "Forged form",
            "database": own[ProfileDatabase].pk,
            "fields": [{"name": "email"}],
        },
        "api:form-submit": {"data": {"email": "submitted@example.com"}},
        "api:pixel-list": {
            "name": "Forged pixel",
            "database": own[ProfileDatabase].pk,
            "goals": [{"name": "view"}],
        },
        "api:pixel-hit": {"goal": "purchase", "anonymous_id": "gate-visitor"},
        # A file import's file travels only in a multipart form: this JSON body is refused
        # for the missing file (its request serializer has no read-only field to forge).
        "api:import-list": {"database": own[ProfileDatabase].pk, "mapping": {"email": "email"}},
    }
    return bodies.get(name)


def unjoined_program(world):
    """A loyalty program of bob's database the world's profile is not enrolled in."""
    own = world.own
    return Program.objects.filter(database=own[ProfileDatabase]).exclude(pk=own[Program].pk)[0]


def with_forged_fields(name, body, keys, world):
    extra = {key: forged(key, world) for key in keys}
    if name == "api:profile-import":  # the rows are profiles: forge inside them
        from web.profiles.api.serializers import ProfileSerializer

        read_only, _ = fields_of(ProfileSerializer, world)
        row_keys = read_only | set(PRIVILEGED)
        rows = [{**row, **{k: forged(k, world) for k in row_keys}} for row in body["profiles"]]
        return {**body, **extra, "profiles": rows}
    return {**body, **extra}


@pytest.mark.parametrize(
    ("pattern", "method", "action"),
    API_WRITES,
    ids=[f"{p.name}-{m}" for p, m, _ in API_WRITES],
)
def test_the_api_ignores_or_refuses_forged_fields(pattern, method, action, world, db):
    body = {} if method == "PATCH" else minimal_body(pattern.name, world)
    if body is None:
        pytest.fail(f"{pattern.name}: add a minimal valid body to minimal_body()")
    read_only, _ = fields_of(serializer_of(pattern, action), world)
    client = Client()
    client.force_login(world.users["alice"])
    url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.own))
    problems = []
    # First the serializer's own read-only fields alone: documented as ignored, so the
    # request must succeed; then every privileged name the body does not already use as
    # a reference (an event names its profile by profile_id): ignored or refused.
    for keys, must_succeed in [(read_only, True), (set(PRIVILEGED) - set(body), False)]:
        if not keys:
            continue
        before = snapshot(world)
        with transaction.atomic():
            payload = with_forged_fields(pattern.name, body, keys, world)
            response = getattr(client, method.lower())(
                url, payload, content_type="application/json"
            )
            label = f"{method} {url} with {sorted(keys)}"
            if response.status_code >= 500 or (must_succeed and response.status_code >= 300):
                problems.append(f"{label}: {response.status_code} {response.content[:300]!r}")
            problems += check_nothing_stuck(world, before, label)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("pattern", "method", "action"),
    API_WRITES,
    ids=[f"{p.name}-{m}" for p, m, _ in API_WRITES],
)
def test_an_unknown_key_is_a_400_naming_it(pattern, method, action, world, db):
    """A key no endpoint takes ("mode" where there is none, a typo) is never dropped silently."""
    body = {} if method == "PATCH" else minimal_body(pattern.name, world)
    client = Client()
    client.force_login(world.users["alice"])
    url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.own))
    with transaction.atomic():
        response = getattr(client, method.lower())(
            url, {**body, "no_such_key": 1}, content_type="application/json"
        )
        transaction.set_rollback(True)
    assert response.status_code == 400, f"{method} {url}: {response.status_code}"
    assert "no_such_key" in response.content.decode(), response.content[:300]


def test_every_creating_endpoint_has_a_body(world):
    missing = [
        pattern.name
        for pattern, method, _ in API_WRITES
        if method == "POST" and minimal_body(pattern.name, world) is None
    ]
    assert not missing, f"Add a minimal valid body to minimal_body() for {missing}"


# -- The pages --------------------------------------------------------------------------


# Values for required inputs a page leaves empty, by input type.
FILLED = {"number": "1", "date": "2020-01-02", "text": "filled@example.com"}


class Page(HTMLParser):
    """The links and the POST forms of a page, each form with what a browser would send."""

    def __init__(self):
        super().__init__()
        self.links, self.forms = [], []
        self.form = self.select = self.textarea = None
        self.select_multiple = self.select_chosen = self.select_required = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and attrs.get("method", "get").lower() == "post":
            self.form = {"action": attrs.get("action") or "", "data": {}, "files": False}
            self.form["files"] = attrs.get("enctype") == "multipart/form-data"
            self.forms.append(self.form)
        elif self.form is None or (not attrs.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            value = attrs.get("value", "on" if kind in {"checkbox", "radio"} else "")
            if not value and "required" in attrs:  # what a user would type to submit it
                value = FILLED.get(kind, FILLED["text"])
            self.form["data"].setdefault(attrs["name"], []).append(value)
        elif tag == "select":
            # A single select sends its selected option, else its first; a multiple one
            # sends its selected options only.
            self.select = attrs["name"]
            self.select_multiple = "multiple" in attrs
            self.select_chosen = False
            self.select_required = "required" in attrs
            self.form["data"][self.select] = []
        elif tag == "option" and self.select:
            values = self.form["data"][self.select]
            value = attrs.get("value", "")
            if "selected" in attrs:
                keep = self.select_multiple and self.select_chosen
                values[:] = [*values, value] if keep else [value]
                self.select_chosen = True
            elif self.select_multiple or self.select_chosen:
                pass
            elif not values or (self.select_required and value and not values[0]):
                values[:] = [value]  # the first option; a user picks a real one if required
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.form["data"][self.textarea] = [""]

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            self.form["data"][self.textarea] = [self.form["data"][self.textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:  # a browser drops the newline after <textarea>
            value = self.form["data"][self.textarea][0]
            self.form["data"][self.textarea] = [value.removeprefix("\n")]
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def crawl(client, start, prefix, limit=60):
    """Pages under ``prefix`` reachable from ``start``, each with its POST forms."""
    seen, queue, forms_found = set(), [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for href in page.links:
            target = urlsplit(urljoin(url, href))
            if target.path.startswith(prefix) and "/export" not in target.path:
                queue.append(f"{target.path}?{target.query}" if target.query else target.path)
        for form in page.forms:
            action = urljoin(url, form["action"] or url)
            key = (urlsplit(action).path, urlsplit(action).query, tuple(sorted(form["data"])))
            forms_found.setdefault(key, (action, form))
    return list(forms_found.values())


def page_forms_to_submit(client, world):
    profile_id = world.own[Profile].profile_id
    found = crawl(client, reverse("profiles:detail", args=[profile_id]), "/profiles/")
    found += crawl(client, reverse("profiles:create"), reverse("profiles:create"), limit=1)
    # The subscriptions section reads its add form when it is opened (a link without htmx).
    add = reverse("subscriptions:add", args=[profile_id])
    found += crawl(client, add, add, limit=1)
    skipped = {reverse("logout")}
    return [(action, form) for action, form in found if urlsplit(action).path not in skipped]


def test_page_forms_ignore_forged_fields(world, db):
    client = Client()
    client.force_login(world.users["bob"])
    submitted, problems = [], []
    for action, form in page_forms_to_submit(client, world):
        data = dict(form["data"])
        for key in set(PRIVILEGED) - set(data):
            value = forged(key, world)
            data[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        before = snapshot(world)
        with transaction.atomic():
            response = client.post(action, data)
            label = f"POST {action} ({resolve(urlsplit(action).path).view_name})"
            submitted.append(resolve(urlsplit(action).path).view_name)
            if response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            problems += check_nothing_stuck(world, before, label)
            transaction.set_rollback(True)
    # The crawl must reach the forms that write profiles and subscriptions.
    for expected in ["profiles:create", "profiles:edit", "subscriptions:add", "profiles:status"]:
        assert expected in submitted, f"the crawl found no form posting to {expected}"
    assert not problems, "\n".join(problems)


# -- No "__all__" -----------------------------------------------------------------------


def our_subclasses(base):
    found, stack = set(), [base]
    while stack:
        for subclass in stack.pop().__subclasses__():
            stack.append(subclass)
            if subclass.__module__.split(".")[0] in OUR_PACKAGES:
                found.add(subclass)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_no_serializer_or_model_form_takes_all_fields():
    import config.urls  # noqa: F401  (imports every view, serializer and admin form)

    classes = our_subclasses(serializers.ModelSerializer) + our_subclasses(forms.ModelForm)
    assert len(classes) >= 5, "the walk found too few serializers and forms to be working"
    offenders = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if inspect.isclass(getattr(cls, "Meta", None))
        and (getattr(cls.Meta, "fields", None) == "__all__" or hasattr(cls.Meta, "exclude"))
    ]
    assert not offenders, f"List the fields explicitly in {offenders}"
