"""Whatever JSON a client sends, the profiles API answers 2xx or 400 — never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import CustomFieldFactory, ProfileFactory
from web.profiles.api.serializers import PROFILE_FIELDS

pytestmark = [pytest.mark.django_db, pytest.mark.gates]

DATABASE = "<database id>"
CUSTOM_FIELDS = [
    ("n", "number", []),
    ("f", "float", []),
    ("l", "line", []),
    ("d", "date", []),
    ("b", "boolean", []),
    ("e", "enum", ["a", "b"]),
    ("i", "ip", []),
    ("t", "tags", []),
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["8.8.8.8", "2019-08-22T00:00:00Z", "a,b|c", "+12025550179", "a"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
custom_values = st.dictionaries(st.sampled_from([n for n, _, _ in CUSTOM_FIELDS]), values)
profile_bodies = st.dictionaries(
    st.sampled_from([*PROFILE_FIELDS, "nonsense"]),
    values | st.just(DATABASE),
    max_size=6,
).flatmap(lambda body: custom_values.map(lambda fields: {**body, "fields": fields}) | st.just(body))
anything = values | profile_bodies


@pytest.fixture
def client(api_client, bob, database):
    for name, field_type, options in CUSTOM_FIELDS:
        CustomFieldFactory(database=database, name=name, type=field_type, options=options)
    api_client.force_authenticate(bob)
    return api_client


def resolve(body, database):
    if body == DATABASE:
        return database.pk
    if isinstance(body, dict):
        return {key: resolve(value, database) for key, value in body.items()}
    if isinstance(body, list):
        return [resolve(value, database) for value in body]
    return body


@FUZZ
@given(body=anything)
def test_creating_never_fails_with_a_server_error(client, database, body):
    body = resolve(body, database)
    if isinstance(body, dict):
        body.setdefault("database", database.pk)
    response = client.post("/api/v1/profiles/", body, format="json")
    assert response.status_code in (201, 400), response.content


@FUZZ
@given(body=anything)
def test_updating_never_fails_with_a_server_error(client, database, body):
    profile = ProfileFactory(database=database)
    response = client.patch(
        f"/api/v1/profiles/{profile.profile_id}/", resolve(body, database), format="json"
    )
    assert response.status_code in (200, 400), response.content


@FUZZ
@given(
    rows=st.lists(anything, max_size=4),
    match=st.sampled_from(["email", "phone", "profile_id", "field:n", "field:l", "field:b"]),
)
def test_importing_never_fails_with_a_server_error(client, database, rows, match):
    body = {"database": database.pk, "match": match, "profiles": resolve(rows, database)}
    response = client.post("/api/v1/profiles/import/", body, format="json")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        results = response.json()["results"]
        assert [row["index"] for row in results] == list(range(len(rows)))
