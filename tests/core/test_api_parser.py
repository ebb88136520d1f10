"""The API's JSON parser answers every body as the standard one: orjson where it gives the
same data, the standard library and its checks for the rest."""

import io

import pytest
from rest_framework.exceptions import APIException

from core.api.errors import JSONParser, StandardJSONParser

BODIES = [
    b'[{"profile_id": "a", "type": "open", "data": {"n": 1.5, "m": -7, "t": "\\u00e9"}}]',
    b'{"a": [1, 2, {"b": null}], "c": true}',
    b"[9223372036854775807, -9223372036854775808]",
    b"[9223372036854775808]",
    b'{"n": 12345678901234567890123}',
    b'{"n": -1e400}',
    b'{"text": "a\\u0000b"}',
    b'{"k\\u0000": 1}',
    b'{"text": "\\ud800"}',
    b"[" * 33 + b"]" * 33,
    b"[" * 32 + b"]" * 32,
    b"[" * 3000 + b"]" * 3000,
    b'{"a": NaN}',
    b"{bad json",
    b'"x1234567890123456789012"',
    b'"\xff"',
    b'"a\x01b"',
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_parser_answers_every_body_as_the_standard_one(body):
    def parse(parser):
        try:
            return "data", parser.parse(io.BytesIO(body), "application/json", {})
        except APIException as error:
            return type(error).__name__, error.detail

    assert parse(JSONParser()) == parse(StandardJSONParser())
