"""Property tests: every validator and normaliser takes any JSON-ish input calmly.

For arbitrary input each one either returns a value or raises ValidationError (never
another exception), and cleaning a cleaned value returns it unchanged.
"""

import ipaddress
import math
import re
from datetime import UTC

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import fieldtypes
from core.fieldtypes import FieldType, clean_value
from core.text import normalize_phone, normalize_phones

pytestmark = pytest.mark.gates

settings.register_profile(
    "fieldtypes",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
QUICK = settings.get_profile("fieldtypes")

# Text that often looks like what a validator wants, mixed with anything at all.
near_misses = st.one_of(
    st.from_regex(r"\A[+-]?\d{1,25}\Z"),
    st.from_regex(r"\A[+-]?\d{0,400}(\.\d{0,30})?([eE][+-]?\d{1,4})?\Z"),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?\Z"),
    st.from_regex(r"\A\d{1,4}\.\d{1,4}\.\d{1,4}\.\d{1,4}\Z"),
    st.from_regex(r"\A\s*(true|false|TRUE|False|yes|0|1)\s*\Z"),
    st.from_regex(r"\A\+?[1-9][\d ()-]{5,18}\Z"),
    st.sampled_from(["1e999", "nan", "inf", "-0", "١٢", "²", "0001-01-01T00:00:00+01:00"]),
    st.sampled_from(["9999-12-31T23:00:00-05:00", "2019-02-30T00:00:00Z", "256.1.1.1", "::1"]),
    st.sampled_from(["a,b", "a|b;c", " , ;|", "x\x00y", "\ud800", "1" * 5000]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    near_misses,
)
json_ish = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)

options_lists = st.lists(st.text(max_size=12), max_size=5)


def calm(function, *args):
    """Return (True, result) or (False, None) when it raised ValidationError."""
    try:
        return True, function(*args)
    except ValidationError:
        return False, None


# Inputs that once escaped as OverflowError or ValueError, checked on every run.
TROUBLEMAKERS = [
    10**400,
    "1" * 5000,
    "-" + "9" * 4301,
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+01:00",
    "0999-01-01",
    "١٢",
    "²",
    "1e999",
    float("nan"),
    "\ud800",
    ["\ud800"],
    {"a": 1},
]


@pytest.mark.parametrize("field_type", FieldType.values)
@pytest.mark.parametrize("value", TROUBLEMAKERS, ids=lambda value: repr(value)[:20])
def test_known_troublemakers_raise_only_validation_error(field_type, value):
    ok, cleaned = calm(clean_value, field_type, value, ["a"])
    if ok:
        assert clean_value(field_type, cleaned, ["a"]) == cleaned


@pytest.mark.parametrize("field_type", FieldType.values)
@QUICK
@given(value=json_ish, options=options_lists)
def test_every_validator_raises_only_validation_error_and_is_idempotent(field_type, value, options):
    ok, cleaned = calm(clean_value, field_type, value, options)
    if ok:
        assert clean_value(field_type, cleaned, options) == cleaned


@QUICK
@given(value=json_ish)
def test_a_cleaned_number_is_a_64_bit_integer(value):
    ok, cleaned = calm(fieldtypes.clean_number, value)
    if ok:
        assert type(cleaned) is int
        assert fieldtypes.INT64_MIN <= cleaned <= fieldtypes.INT64_MAX


@QUICK
@given(value=st.integers(min_value=fieldtypes.INT64_MIN, max_value=fieldtypes.INT64_MAX))
def test_every_64_bit_integer_is_a_number_as_itself_and_as_text(value):
    assert fieldtypes.clean_number(value) == value
    assert fieldtypes.clean_number(str(value)) == value


@QUICK
@given(value=json_ish)
def test_a_cleaned_float_is_a_finite_float(value):
    ok, cleaned = calm(fieldtypes.clean_float, value)
    if ok:
        assert type(cleaned) is float
        assert math.isfinite(cleaned)


@QUICK
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_is_accepted_as_itself_and_as_text(value):
    assert fieldtypes.clean_float(value) == value
    assert fieldtypes.clean_float(repr(value)) == value


@QUICK
@given(value=json_ish)
def test_a_cleaned_line_is_text_that_encodes_to_utf8(value):
    ok, cleaned = calm(fieldtypes.clean_line, value)
    if ok:
        assert cleaned == value
        cleaned.encode("utf-8")
        assert "\x00" not in cleaned


@QUICK
@given(value=json_ish)
def test_a_cleaned_date_is_rfc3339_utc_with_milliseconds(value):
    ok, cleaned = calm(fieldtypes.clean_date, value)
    if ok:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", cleaned)


@QUICK
@given(moment=st.datetimes(timezones=st.just(UTC)))
def test_every_utc_moment_is_a_date_and_keeps_its_millisecond(moment):
    cleaned = fieldtypes.clean_date(moment.isoformat())
    expected = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert cleaned == expected.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", cleaned)


@QUICK
@given(value=json_ish)
def test_a_cleaned_boolean_is_a_bool(value):
    ok, cleaned = calm(fieldtypes.clean_boolean, value)
    if ok:
        assert type(cleaned) is bool


@QUICK
@given(value=json_ish, options=options_lists)
def test_a_cleaned_enum_value_is_one_of_the_options(value, options):
    ok, cleaned = calm(fieldtypes.clean_enum, value, options)
    if ok:
        assert cleaned in options


@QUICK
@given(value=json_ish)
def test_a_cleaned_ip_is_a_dotted_ipv4_address(value):
    ok, cleaned = calm(fieldtypes.clean_ip, value)
    if ok:
        assert str(ipaddress.IPv4Address(cleaned)) == cleaned


@QUICK
@given(address=st.ip_addresses(v=4))
def test_every_ipv4_address_is_accepted(address):
    assert fieldtypes.clean_ip(str(address)) == str(address)


@QUICK
@given(address=st.ip_addresses(v=6))
def test_no_ipv6_address_is_accepted(address):
    with pytest.raises(ValidationError):
        fieldtypes.clean_ip(str(address))


@QUICK
@given(value=json_ish)
def test_cleaned_tags_are_distinct_trimmed_text_without_separators(value):
    ok, cleaned = calm(fieldtypes.clean_tags, value)
    if ok:
        assert isinstance(cleaned, list)
        assert len(set(cleaned)) == len(cleaned)
        for tag in cleaned:
            assert isinstance(tag, str) and tag == tag.strip() and tag
            assert not fieldtypes.TAG_SEPARATORS.search(tag)


@QUICK
@given(value=json_ish)
def test_parse_options_raises_only_validation_error_and_is_idempotent(value):
    ok, options = calm(fieldtypes.parse_options, value)
    if ok:
        assert fieldtypes.parse_options(options) == options
        assert all("," not in option and option == option.strip() for option in options)


@QUICK
@given(value=st.text())
def test_check_text_raises_only_validation_error_and_returns_its_input(value):
    ok, checked = calm(fieldtypes.check_text, value)
    if ok:
        assert checked == value


@QUICK
@given(value=json_ish)
def test_normalize_phone_raises_only_validation_error_and_is_idempotent(value):
    ok, phone = calm(normalize_phone, value)
    if ok:
        assert re.fullmatch(r"\+[1-9]\d{1,14}", phone)
        assert normalize_phone(phone) == phone


@QUICK
@given(value=st.one_of(json_ish, st.lists(near_misses, max_size=4)))
def test_normalize_phones_raises_only_validation_error_and_is_idempotent(value):
    ok, phones = calm(normalize_phones, value)
    if ok:
        assert normalize_phones(phones) == phones
        assert len(set(phones)) == len(phones)
