"""Text people and systems type, checked and normalised the one way the whole project uses.

Emails, phones, time zones, language tags, country codes, whole numbers and booleans typed
as text each have one function here; a model, a form, a serializer, a filter and an import
call the same one, so the same input gives the same value (or the same error) everywhere.
"""

import functools
import re
import zoneinfo

import iptocc
import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PHONES_MAX = 20  # a profile's phones (each one indexed)
# The words a boolean is written with wherever text carries one (a custom Boolean value, a
# form's select, a query parameter such as ?detect_location=false).
TRUE_WORD, FALSE_WORD = "true", "false"

FIELD_NAME_RE = r"^[A-Za-z][A-Za-z0-9_]{0,62}$"
field_name_validator = RegexValidator(
    FIELD_NAME_RE, "Use letters, digits and underscores, starting with a letter (e.g. tariff_plan)."
)
country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", "Enter a two-letter ISO country code, e.g. DE."
)
language_validator = RegexValidator(
    r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Enter a language tag, e.g. en or pt-BR."
)


def check_text(value):
    """Reject strings a database or a browser cannot hold safely (NUL, lone surrogates)."""
    if "\x00" in value:
        raise ValidationError("Text must not contain NUL characters.", code="nul")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Text must be valid Unicode.", code="surrogate") from None
    return value


def validate_text(value):
    """Model field validator: the text a column may hold (see ``check_text``)."""
    check_text(value)


def normalize_email(value):
    """Return the email as stored and compared everywhere: trimmed, lower case ("" if none)."""
    return (value or "").strip().lower()


def normalize_phone(value):
    """Return the phone in E.164 (+14155550123) or raise ValidationError."""
    phone = _e164(value) if isinstance(value, str) else None
    if phone is None:
        raise ValidationError(
            f"Enter the phone in international format, e.g. +14155550123 (got “{value}”)."
        )
    return phone


# Parsing a phone takes 0.05-0.1 ms; an import may read one phone several times (to match
# its row, then to check it) and a file often repeats phones. The answer depends only on
# the text (the numbering plans are the installed phonenumbers'), so it is kept.
@functools.lru_cache(maxsize=16_384)
def _e164(value):
    """Return the text's phone in E.164, or None if it is no valid phone."""
    number = _written_in_e164(value)
    if number is None:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return None
    if not _valid(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A phone written as E.164 already ("+" and digits, no leading zero), as files mostly hold.
E164_TEXT_RE = re.compile(r"\+([1-9][0-9]{2,19})", re.ASCII)


def _written_in_e164(value):
    """Return the number ``phonenumbers.parse(value, None)`` reads in a text written in
    E.164, without parsing it (two thirds of a phone's check), or None for any other
    text, and for one where parse could read something else than the digits as they are:
    digits that start with the country's national prefix (parse may strip it) or with a
    zero (it keeps leading zeros apart). What is left of parse's steps for "+digits" is
    this: the country code is the first 1 to 3 digits that are one, the rest is the
    national number, of 2 to 17 digits."""
    match = E164_TEXT_RE.fullmatch(value)
    if match is None:
        return None
    digits = match[1]
    for size in range(1, 4):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if not 2 <= len(national) <= 17 or national[0] == "0":
        return None
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    if prefix and re.match(prefix, national):
        return None
    return phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))


def _valid(number):
    """Whether the number is valid: first in the main region of its country code (one
    check, where ``is_valid_number`` tries each of the code's regions — 25 for +1, the
    slow part of an import of phones), then in any of them."""
    main_region = phonenumbers.region_code_for_country_code(number.country_code)
    return phonenumbers.is_valid_number_for_region(
        number, main_region
    ) or phonenumbers.is_valid_number(number)


def normalize_phones(values):
    """Return a list of distinct E.164 phones from a list or a comma/newline separated text."""
    if isinstance(values, str):
        values = re.split(r"[,;\n]", values)
    if not isinstance(values, list):
        raise ValidationError("Enter the phones as a list.")
    if len(values) > PHONES_MAX:
        raise ValidationError(f"Enter at most {PHONES_MAX} phones.")
    phones = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        phone = normalize_phone(value)
        if phone not in phones:
            phones.append(phone)
    return phones


@functools.cache
def known_timezones():
    """Return the time zone names (reading them takes ~10 ms, so once per process)."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value):
    if value and value not in known_timezones():
        raise ValidationError("Enter a time zone name, e.g. Europe/Berlin.")


def country_from_ip(ip):
    """Return the ISO country code of an IPv4 address (offline look-up), or ""."""
    return (iptocc.country_code(ip) or "") if ip else ""


def whole_number(text, maximum=INT64_MAX):
    """Return the text as a whole number from 1 to ``maximum``, or None.

    ASCII digits only: "²".isdigit() is true but int("²") fails, and int() refuses more
    than 4300 digits; both would be a 500 where a bad parameter is a 400 or a 404.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None


# A cell starting with one of these is read as a formula by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return a spreadsheet cell (CSV, XLSX) shown as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def parse_bool(value):
    """Return True or False for a JSON boolean or the words true/false; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in (TRUE_WORD, FALSE_WORD):
            return word == TRUE_WORD
    return None


def bool_word(value):
    """Return the word a boolean is written with (the inverse of ``parse_bool``)."""
    return TRUE_WORD if value else FALSE_WORD
