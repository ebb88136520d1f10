"""A phone written in E.164 already is read without ``phonenumbers.parse``
(``core.text._written_in_e164``): every text gives the number, or the refusal, that
parsing it gives, for the example numbers of every region and the texts next to them."""

import random

import phonenumbers
import pytest

from core.text import _e164, _valid, _written_in_e164


def parsed_e164(text):
    """The answer of parsing the text, as the check did before reading E.164 directly."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not _valid(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_numbers():
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    for region in regions:
        for kind in phonenumbers.PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                yield number
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            yield number


def texts_near(number):
    """The example in E.164, and texts next to it: a national prefix or a zero written
    after the country code, a digit less, a digit more, another first digit."""
    code = str(number.country_code)
    national = phonenumbers.national_significant_number(number)
    yield f"+{code}{national}"
    for inserted in ("0", "1", "00", "8", "9", "15"):
        yield f"+{code}{inserted}{national}"
    yield f"+{code}{national[:-1]}"
    yield f"+{code}{national}7"
    for digit in "0123456789":
        yield f"+{code}{digit}{national[1:]}"


def all_texts():
    texts = {text for number in example_numbers() for text in texts_near(number)}
    chance = random.Random(13)
    for _ in range(3000):
        texts.add("+" + "".join(chance.choice("0123456789") for _ in range(chance.randint(3, 20))))
    return sorted(texts)


def test_every_text_reads_as_parsing_it_reads():
    texts = all_texts()
    assert len(texts) > 5000
    different = [text for text in texts if _e164.__wrapped__(text) != parsed_e164(text)]
    assert different == []
    assert sum(_written_in_e164(text) is not None for text in texts) > 1000


@pytest.mark.parametrize(
    "text",
    ["+14155550123", "+442079460958", "+4915123456789", "+390612345678", "+11415555012"],
)
def test_usual_phones_read_as_parsing_them_reads(text):
    assert _e164.__wrapped__(text) == parsed_e164(text)


def test_other_writings_are_parsed():
    assert _written_in_e164("+1 415 555 0123") is None
    assert _written_in_e164("+390612345678") is None  # a leading zero: parse keeps it apart
    assert _written_in_e164("+11415555012") is None  # starts with +1's national prefix
    fullwidth = "+" + "".join(chr(0xFF10 + int(digit)) for digit in "14155550123")
    assert _written_in_e164(fullwidth) is None  # digits, but not ASCII ones
    assert _e164("+1 415 555 0123") == "+14155550123"
