"""The eight custom field types and the one validator each.

Every path that writes a custom value (model, form, serializer, import) reaches
``clean_value`` through the one checker of a dict of values (``core.typedfields``), so a
value is checked in exactly one place. A validator returns the normalised JSON value or
raises ``ValidationError`` with a message that names the expected format (not the field:
the error is filed under the field's name). Normalising a normalised value returns it
unchanged.
"""

import ipaddress
import re
from datetime import UTC, datetime, time

from django.core.exceptions import ValidationError
from django.db import models

from .jsonvalues import truncated
from .text import INT64_MAX, INT64_MIN, bool_word, check_text, parse_bool

LINE_MAX_LENGTH = 65_535
TAG_MAX_LENGTH = 255
TAGS_MAX_COUNT = 1_000
OPTION_MAX_LENGTH = 255
OPTIONS_MAX_COUNT = 500
TAG_SEPARATORS = re.compile(r"[,|;]")
# ASCII digits only: "١٢" or "²" are not numbers a field silently turns into 12 or 2.
INTEGER_RE = re.compile(r"^[+-]?\d+$", re.ASCII)
FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
RFC3339_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,9})?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2}))?$",
    re.ASCII,
)


class FieldType(models.TextChoices):
    NUMBER = "number", "Number"
    FLOAT = "float", "Float"
    LINE = "line", "Line"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Boolean"
    ENUM = "enum", "Enum"
    IP = "ip", "IP"
    TAGS = "tags", "Tags"


def clean_number(value, options=()):
    if isinstance(value, bool):
        raise ValidationError("Enter a whole number, e.g. 42 or -7.", code="number")
    if isinstance(value, str) and INTEGER_RE.match(value.strip()):
        try:
            value = int(value.strip())
        except ValueError:  # more digits than Python converts: far outside 64 bits anyway
            raise ValidationError(
                "Enter a whole number between -2^63 and 2^63-1.", code="range"
            ) from None
    if not isinstance(value, int):
        raise ValidationError("Enter a whole number, e.g. 42 or -7.", code="number")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValidationError("Enter a whole number between -2^63 and 2^63-1.", code="range")
    return value


def clean_float(value, options=()):
    if isinstance(value, bool):
        raise ValidationError("Enter a number, e.g. 3.14.", code="float")
    if isinstance(value, str) and FLOAT_RE.match(value.strip()):
        value = float(value.strip())
    if isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            raise ValidationError("Enter a number, e.g. 3.14.", code="float") from None
    if not isinstance(value, float) or value != value or value in (float("inf"), float("-inf")):
        raise ValidationError("Enter a number, e.g. 3.14.", code="float")
    return value


def clean_line(value, options=()):
    if not isinstance(value, str):
        raise ValidationError("Enter text.", code="line")
    if len(value) > LINE_MAX_LENGTH:
        raise ValidationError(f"Enter at most {LINE_MAX_LENGTH} characters.", code="length")
    return check_text(value)


def clean_date(value, options=()):
    """Accept an RFC 3339 date or date-time; store it as UTC, e.g. 2019-08-22T00:00:00.000Z."""
    message = "Enter a date in RFC 3339 format, e.g. 2019-08-22T00:00:00.000Z."
    match = RFC3339_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValidationError(message, code="date")
    text = match["date"] + "T" + (match["time"] or "00:00:00")
    fraction = (match["fraction"] or ".0")[1:7].ljust(6, "0")
    offset = match["offset"] or "Z"
    offset = "+00:00" if offset in "Zz" else offset
    try:
        moment = datetime.fromisoformat(f"{text}.{fraction}{offset}").astimezone(UTC)
    except (ValueError, OverflowError):  # no such day, or outside years 1-9999 in UTC
        raise ValidationError(message, code="date") from None
    # isoformat pads years before 1000 to four digits, as strftime("%Y") does not everywhere.
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clean_boolean(value, options=()):
    value = parse_bool(value)
    if value is None:
        raise ValidationError("Enter true or false.", code="boolean")
    return value


def clean_enum(value, options=()):
    if not isinstance(value, str) or value not in options:
        allowed = ", ".join(options) if options else "(no options defined)"
        raise ValidationError(f"Enter one of: {allowed}.", code="enum")
    return value


def clean_ip(value, options=()):
    message = "Enter an IPv4 address, e.g. 127.0.0.1."
    if not isinstance(value, str):
        raise ValidationError(message, code="ip")
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise ValidationError(message, code="ip") from None


def clean_tags(value, options=()):
    """Accept a list of tags or one string separated by , | or ; and return a list."""
    if isinstance(value, str):
        value = TAG_SEPARATORS.split(value)
    elif isinstance(value, list):
        for tag in value:
            if not isinstance(tag, str):
                raise ValidationError("Each tag must be text.", code="tags")
            if TAG_SEPARATORS.search(tag):
                raise ValidationError(
                    f"A tag cannot contain “,”, “|” or “;” (got “{tag}”).", code="tag_separator"
                )
    else:
        raise ValidationError("Enter tags separated by “,”, “|” or “;”, or a list.", code="tags")
    if len(value) > TAGS_MAX_COUNT:
        raise ValidationError(f"Enter at most {TAGS_MAX_COUNT:,} tags.", code="count")
    tags = {}  # a dict keeps the order and finds a duplicate at once
    for tag in (check_text(tag).strip() for tag in value):
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(f"A tag has at most {TAG_MAX_LENGTH} characters.", code="length")
        if tag:
            tags[tag] = None
    return list(tags)


VALIDATORS = {
    FieldType.NUMBER: clean_number,
    FieldType.FLOAT: clean_float,
    FieldType.LINE: clean_line,
    FieldType.DATE: clean_date,
    FieldType.BOOLEAN: clean_boolean,
    FieldType.ENUM: clean_enum,
    FieldType.IP: clean_ip,
    FieldType.TAGS: clean_tags,
}


def clean_value(field_type, value, options=()):
    """Return the value normalised for its type, or raise ValidationError."""
    return VALIDATORS[field_type](value, options)


def is_empty(value):
    """Whether a value means "no value": None, "" or an empty list of tags."""
    return value is None or value == "" or value == []


def parse_options(value):
    """Turn enum options given as a list or one comma-separated line into a clean list."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Enter the options as a comma-separated line or a list of text.")
    if len(value) > OPTIONS_MAX_COUNT:
        raise ValidationError(f"Enter at most {OPTIONS_MAX_COUNT} options.")
    options = {}  # a dict keeps the order and finds a duplicate at once
    for option in (check_text(item).strip() for item in value):
        if "," in option:
            raise ValidationError(f"An option cannot contain a comma (got “{option}”).")
        if len(option) > OPTION_MAX_LENGTH:
            raise ValidationError(f"An option has at most {OPTION_MAX_LENGTH} characters.")
        if option:
            options[option] = None
    return list(options)


def clean_options(field_type, value):
    """Return the options of a field of this type: an enum needs at least one, no other type
    has any. Options are given as a list or one comma-separated line."""
    options = [] if is_empty(value) else parse_options(value)
    if field_type == FieldType.ENUM and not options:
        raise ValidationError("An enum field needs at least one option.", code="no_options")
    if field_type != FieldType.ENUM and options:
        raise ValidationError("Only enum fields have options.", code="options")
    return options


def input_value(value):
    """Return a stored custom value as a form input shows it (the inverse of the validators)."""
    if isinstance(value, bool):
        return bool_word(value)
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def stored_moment(value):
    """Return a stored date value as an aware datetime (UTC), or None if it is not one."""
    match = RFC3339_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def typed_display(field_type, value):
    """Return a stored value as the pages show it: a date value as a ``date`` (midnight UTC,
    a day) or an aware ``datetime`` (formatted by the page), others unchanged."""
    if field_type == FieldType.DATE:
        moment = stored_moment(value)
        if moment is not None:
            return moment.date() if moment.timetz().replace(tzinfo=None) == time() else moment
    return value


def display_value(value):
    """Render a stored value for people: tags joined, booleans as Yes/No, a long text cut
    (a page never shows a value of any size whole; the edit form and exports do)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return truncated(", ".join(map(str, value)))
    return "" if value is None else truncated(str(value))
