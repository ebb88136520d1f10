"""Each of the 8 custom field types: the values it accepts, and what it rejects and says."""

import pytest
from django.core.exceptions import ValidationError

from core.fieldtypes import (
    FieldType,
    clean_value,
    display_value,
    is_empty,
    parse_options,
)

OPTIONS = ["bronze", "silver", "gold"]

GOOD = [
    (FieldType.NUMBER, 42, 42),
    (FieldType.NUMBER, -7, -7),
    (FieldType.NUMBER, "  -12 ", -12),
    (FieldType.NUMBER, "+5", 5),
    (FieldType.NUMBER, 2**63 - 1, 2**63 - 1),
    (FieldType.NUMBER, -(2**63), -(2**63)),
    (FieldType.FLOAT, 3.14, 3.14),
    (FieldType.FLOAT, "3.14", 3.14),
    (FieldType.FLOAT, "-1e3", -1000.0),
    (FieldType.FLOAT, 2, 2.0),
    (FieldType.LINE, "Grüße, 東京 & 42 !", "Grüße, 東京 & 42 !"),
    (FieldType.LINE, "  spaces kept  ", "  spaces kept  "),
    (FieldType.DATE, "2019-08-22T00:00:00.000Z", "2019-08-22T00:00:00.000Z"),
    (FieldType.DATE, "2019-08-22", "2019-08-22T00:00:00.000Z"),
    (FieldType.DATE, "2019-08-22T10:30:00+02:00", "2019-08-22T08:30:00.000Z"),
    (FieldType.DATE, "2020-02-29T23:59:59.123456Z", "2020-02-29T23:59:59.123Z"),
    (FieldType.BOOLEAN, True, True),
    (FieldType.BOOLEAN, False, False),
    (FieldType.BOOLEAN, " TRUE ", True),
    (FieldType.BOOLEAN, "false", False),
    (FieldType.ENUM, "silver", "silver"),
    (FieldType.IP, "127.0.0.1", "127.0.0.1"),
    (FieldType.IP, " 192.168.1.20 ", "192.168.1.20"),
    (FieldType.TAGS, "vip, early adopter|b2b;vip", ["vip", "early adopter", "b2b"]),
    (FieldType.TAGS, ["vip", " b2b "], ["vip", "b2b"]),
    (FieldType.TAGS, "single", ["single"]),
]

BAD = [
    (FieldType.NUMBER, 3.5, "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, 3.0, "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, "3.5", "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, True, "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, "twelve", "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, "١٢", "Enter a whole number, e.g. 42 or -7."),
    (FieldType.NUMBER, 2**63, "Enter a whole number between -2^63 and 2^63-1."),
    (FieldType.NUMBER, [1], "Enter a whole number, e.g. 42 or -7."),
    (FieldType.FLOAT, "abc", "Enter a number, e.g. 3.14."),
    (FieldType.FLOAT, False, "Enter a number, e.g. 3.14."),
    (FieldType.FLOAT, "nan", "Enter a number, e.g. 3.14."),
    (FieldType.FLOAT, "1e999", "Enter a number, e.g. 3.14."),
    (FieldType.FLOAT, "1,5", "Enter a number, e.g. 3.14."),
    (FieldType.LINE, 42, "Enter text."),
    (FieldType.LINE, None, "Enter text."),
    (FieldType.LINE, "nul\x00byte", "Text must not contain NUL characters."),
    (FieldType.LINE, "x" * 65_536, "Enter at most 65535 characters."),
    (FieldType.DATE, "2019-02-30T00:00:00Z", "RFC 3339 format, e.g. 2019-08-22T00:00:00.000Z"),
    (FieldType.DATE, "2019-13-01", "RFC 3339 format"),
    (FieldType.DATE, "22.08.2019", "RFC 3339 format"),
    (FieldType.DATE, "2019-08-22T10:30:00", "RFC 3339 format"),
    (FieldType.DATE, "9999-12-31T23:00:00-05:00", "RFC 3339 format"),
    (FieldType.DATE, 1566432000, "RFC 3339 format"),
    (FieldType.BOOLEAN, "yes", "Enter true or false."),
    (FieldType.BOOLEAN, 1, "Enter true or false."),
    (FieldType.BOOLEAN, "0", "Enter true or false."),
    (FieldType.ENUM, "platinum", "Enter one of: bronze, silver, gold."),
    (FieldType.ENUM, "Silver", "Enter one of: bronze, silver, gold."),
    (FieldType.ENUM, ["silver"], "Enter one of: bronze, silver, gold."),
    (FieldType.IP, "256.1.1.1", "Enter an IPv4 address, e.g. 127.0.0.1."),
    (FieldType.IP, "::1", "Enter an IPv4 address, e.g. 127.0.0.1."),
    (FieldType.IP, "2001:db8::1", "Enter an IPv4 address, e.g. 127.0.0.1."),
    (FieldType.IP, "1.2.3", "Enter an IPv4 address, e.g. 127.0.0.1."),
    (FieldType.IP, 2130706433, "Enter an IPv4 address, e.g. 127.0.0.1."),
    (FieldType.TAGS, ["a,b"], "A tag cannot contain “,”, “|” or “;” (got “a,b”)."),
    (FieldType.TAGS, ["a|b"], "A tag cannot contain “,”, “|” or “;” (got “a|b”)."),
    (FieldType.TAGS, ["a;b"], "A tag cannot contain “,”, “|” or “;” (got “a;b”)."),
    (FieldType.TAGS, [1, 2], "Each tag must be text."),
    (FieldType.TAGS, {"a": 1}, "Enter tags separated by “,”, “|” or “;”, or a list."),
    (FieldType.TAGS, ["x" * 256], "A tag has at most 255 characters."),
]


@pytest.mark.parametrize(
    ("field_type", "value", "expected"), GOOD, ids=lambda v: repr(v)[:30] if v else None
)
def test_it_accepts_and_normalises_a_good_value(field_type, value, expected):
    cleaned = clean_value(field_type, value, OPTIONS)
    assert cleaned == expected
    assert type(cleaned) is type(expected)
    assert clean_value(field_type, cleaned, OPTIONS) == cleaned


@pytest.mark.parametrize(
    ("field_type", "value", "message"), BAD, ids=lambda v: repr(v)[:30] if v else None
)
def test_it_rejects_a_bad_value_naming_the_expected_format(field_type, value, message):
    with pytest.raises(ValidationError) as error:
        clean_value(field_type, value, OPTIONS)
    assert message in error.value.messages[0]


def test_every_type_is_covered_by_good_and_bad_examples():
    assert {row[0] for row in GOOD} == set(FieldType.values)
    assert {row[0] for row in BAD} == set(FieldType.values)


def test_an_enum_without_options_says_so():
    with pytest.raises(ValidationError, match="no options defined"):
        clean_value(FieldType.ENUM, "gold", [])


def test_enum_options_come_from_a_comma_separated_line_or_a_list():
    assert parse_options(" gold, silver ,,gold ") == ["gold", "silver"]
    assert parse_options(["gold", " silver "]) == ["gold", "silver"]
    with pytest.raises(ValidationError, match="cannot contain a comma"):
        parse_options(["gold, silver"])
    with pytest.raises(ValidationError, match="comma-separated line or a list"):
        parse_options([1, 2])


def test_it_treats_none_empty_text_and_empty_list_as_no_value():
    assert is_empty(None) and is_empty("") and is_empty([])
    assert not is_empty(0) and not is_empty(False)


def test_it_displays_stored_values_for_people():
    assert display_value(["vip", "b2b"]) == "vip, b2b"
    assert display_value(True) == "Yes"
    assert display_value(None) == ""
    assert display_value(42) == "42"
