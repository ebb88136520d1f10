"""The API's JSON renderer writes, byte for byte, what DRF's own renderer writes (floats:
the same numbers, written the shortest way, ``1e-08`` as ``1e-8``)."""

import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers

from core.api.renderers import JSONRenderer
from tests.factories import ProfileFactory

DRF, OURS = renderers.JSONRenderer(), JSONRenderer()

# What a response body holds: the JSON types, and what DRF's encoder writes its own way.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text()
    | st.datetimes(timezones=st.just(datetime.UTC) | st.timezones())
    | st.dates()
    | st.times()
    | st.uuids()
)
# Written as floats (DRF writes a Decimal as a float too).
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.decimals(
    allow_nan=False, allow_infinity=False, places=6
)


def nested(scalars):
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
        max_leaves=30,
    )


@settings(max_examples=300, deadline=None)
@given(nested(scalars))
def test_same_bytes_as_drf(body):
    assert OURS.render(body) == DRF.render(body)


@settings(max_examples=200, deadline=None)
@given(nested(scalars | numbers))
def test_same_numbers_as_drf(body):
    ours, drf = OURS.render(body), DRF.render(body)
    assert ours == drf or json.loads(ours) == json.loads(drf)


@pytest.mark.parametrize(
    "body",
    [
        {"when": datetime.datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=datetime.UTC)},
        {"when": datetime.datetime(2026, 12, 6, 1, 2, 3, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))},
        {"price": decimal.Decimal("10.50"), "id": uuid.UUID(int=7)},
        {"detail": gettext_lazy("This field is required.")},
        {"line": "a\u2028b\u2029c", "emoji": "😀", "quote": '"</script>'},
        {1: "an integer key", "items": (n for n in range(3))},
        {"big": 2**70},  # beyond what orjson writes: DRF's renderer writes it
        None,
    ],
)
def test_what_orjson_writes_its_own_way_is_written_as_drf_does(body):
    if isinstance(body, dict) and "items" in body:
        assert OURS.render(body) == b'{"1":"an integer key","items":[0,1,2]}'
    else:
        assert OURS.render(body) == DRF.render(body)


def test_pretty_printing_asked_for_is_drfs():
    body = {"a": [1, 2]}
    media_type = "application/json; indent=4"
    assert (
        OURS.render(body, media_type)
        == DRF.render(body, media_type)
        == (b'{\n    "a": [\n        1,\n        2\n    ]\n}')
    )


def test_the_api_answers_with_it(as_alice, database):
    ProfileFactory(database=database, first_name="Zoë\u2028", email="zoe@example.com")
    response = as_alice.get("/api/v1/profiles/")
    assert response.status_code == 200
    assert response.accepted_renderer.__class__ is JSONRenderer
    assert b'"first_name":"Zo\xc3\xab\\u2028"' in response.content
    assert response.json()["results"][0]["email"] == "zoe@example.com"
