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
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.gates.world import (
    PATTERNS,
    UNNAMED,
    addresses_a_database_object,
    admin_object_model,
    parameters_of,
    url_kwargs,
)

pytestmark = pytest.mark.gates

TABLE = Path(__file__).with_name("authorization_matrix.txt")
ROLES = ["anonymous", "charlie", "bob", "bob-outsider", "alice", "dana-outsider"]
DENIED = {"login", "403", "404", "405", "406"}
# Answers that mean the request got past authorization into the view's own logic.
GOT_THROUGH = {400, 409, 410, 415}
LOGIN_PATHS = {reverse("login"), reverse("admin:login")}
# The admin answers a change page of an object it does not show with a redirect to its index.
ADMIN_MISSING_PATHS = {reverse("admin:index")}
# URL parameters that hold integers: identifiers of configuration objects (segments,
# triggers, scenarios, databases), not of personal data. A new integer parameter must be
# added here deliberately.
INTEGER_PARAMETERS = {
    "segment_id",
    "content_type_id",
    "trigger_id",
    "scenario_id",
    "database_id",
    # A relation, under the profile_id of one of its profiles (never addressed alone).
    "relation_id",
    # A promo code, under the profile_id of the profile it is attached to.
    "code_id",
    # A form and a pixel: configuration objects of a database.
    "form_id",
    "pixel_id",
    # A loyalty program: configuration of a database (its members are named by profile_id).
    "program_id",
}


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


# -- Requests ---------------------------------------------------------------------------


def request(client, pattern, method, url):
    headers = {"HTTP_HX_REQUEST": "true"} if method in {"HX-GET", "POST"} else {}
    if pattern.kind == "page":
        verb = "get" if method == "HX-GET" else method.lower()
        return getattr(client, verb)(url, **headers)
    if method in {"POST", "PUT", "PATCH"}:
        return getattr(client, method.lower())(url, data="{}", content_type="application/json")
    return getattr(client, method.lower())(url)


def outcome(response, *, admin_object=False):
    """What a response means for authorization: got through ("ok") or which refusal.

    ``admin_object``: the request asked the admin for an object's page.
    """
    code = response.status_code
    if code == 401:
        return "login"
    if 300 <= code < 400:
        path = urlsplit(response["Location"]).path
        if admin_object and path in ADMIN_MISSING_PATHS:
            return "404"
        return "login" if path in LOGIN_PATHS else "ok"
    if 200 <= code < 300 or code in GOT_THROUGH:
        return "ok"
    return str(code)


def listed(response, pattern, obj):
    """For an admin list asked for another database's object: "ok" if the list shows it,
    "404" if not (the admin hides it as it hides that object's change page)."""
    if response.status_code != 200:
        return outcome(response)
    app_model = pattern.name.removeprefix("admin:").removesuffix("_changelist")
    change_url = reverse(f"admin:{app_model}_change", args=[obj.pk])
    return "ok" if change_url in response.content.decode() else "404"


def observe(pattern, world):
    observed = {}
    own_url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.own))
    outsider_url = None
    if addresses_a_database_object(pattern):
        outsider_url = reverse(pattern.name, kwargs=url_kwargs(pattern, world, world.outsider))
    admin_model = admin_object_model(pattern, world)
    staff_outsider_url = outsider_url
    if admin_model is not None:
        staff_outsider_url = reverse(
            pattern.name, kwargs=url_kwargs(pattern, world, world.outsider)
        )
    sessions = {}  # each user's session cookie, logged in once for all the methods
    for method in pattern.methods:
        row = {}
        for role in ROLES:
            client = Client()
            user = world.users.get(role.split("-")[0])
            if user is not None:
                # The request runs in a savepoint rolled back after it: a logout or a new
                # password there leaves the session as it was for the next request.
                if user not in sessions:
                    client.force_login(user)
                    sessions[user] = client.cookies[settings.SESSION_COOKIE_NAME].value
                client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user]
            url = {"bob-outsider": outsider_url, "dana-outsider": staff_outsider_url}.get(
                role, own_url
            )
            if url is None:
                row[role] = "-"
                continue
            with transaction.atomic():
                response = request(client, pattern, method, url)
                if role == "dana-outsider" and pattern.name.endswith("_changelist"):
                    row[role] = listed(response, pattern, world.outsider[admin_model])
                else:
                    row[role] = outcome(response, admin_object=admin_model is not None)
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
        for parameter in parameters_of(pattern.route)
        if f"<int:{parameter}>" in pattern.route or f"<path:{parameter}>" in pattern.route
    } - {"object_id"}  # the admin's object_id: staff only, and built by Django
    assert integers <= INTEGER_PARAMETERS, (
        f"Integer URL parameters {integers - INTEGER_PARAMETERS}: personal data is addressed "
        "by non-sequential identifiers (profile_id, public_id)"
    )
