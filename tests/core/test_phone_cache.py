"""A phone's parse is kept per text (``core.text._e164``): answers and errors stay the same."""

import pytest
from django.core.exceptions import ValidationError

from core.text import normalize_phone, normalize_phones


@pytest.mark.parametrize("text", ["+1 415 555 0123", "+14155550123", "+1 (415) 555-0123"])
def test_a_phone_read_again_gives_the_same_number(text):
    assert normalize_phone(text) == "+14155550123"
    assert normalize_phone(text) == "+14155550123"


@pytest.mark.parametrize("text", ["+1415555", "0612345678", "not a phone", ""])
def test_a_bad_phone_read_again_is_refused_again_naming_it(text):
    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            normalize_phone(text)
        assert caught.value.messages == [
            f"Enter the phone in international format, e.g. +14155550123 (got “{text}”)."
        ]


def test_a_value_that_is_not_text_is_refused():
    with pytest.raises(ValidationError, match="got “14155550123”"):
        normalize_phone(14155550123)


def test_a_list_repeating_a_phone_keeps_it_once():
    assert normalize_phones(["+14155550123", "+1 415 555 0123", "+442079460958"]) == [
        "+14155550123",
        "+442079460958",
    ]
