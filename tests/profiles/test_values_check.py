"""The standard fields' checks prepared once (``profiles.models.standard_check``) answer as
each model field's ``clean`` does: the same value kept, the same messages for a refusal."""

import pytest
from django.core.exceptions import ValidationError

from core import bulk
from core.text import normalize_email, normalize_phones
from profiles.fields import EDITABLE
from profiles.models import Profile, ProfileValuesCheck, standard_check
from tests.factories import CustomFieldFactory, ProfileFactory

VALUES = [
    "",
    "Ann",
    "  Ann  ",
    "x" * 151,
    "x" * 201,
    "a\x00b",
    "\ud800",
    "female",
    "Female",
    "subscribed",
    "hard_bounced",
    "Europe/Berlin",
    "Nowhere/Else",
    "de",
    "pt-BR",
    "DE",
    "xx-",
    "ann@example.com",
    " ANN@Example.COM ",
    "not an email",
    "a@b",
    "ann@[127.0.0.1]",
    "ann@[999.1.1.1]",
    "ann@localhost",
    "a" * 310 + "@example.com",
    "ann@" + "x" * 250 + ".com",
    "+14155550123",
    "+1 415 555 0123, +442079460958",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "12.5",
    "91",
    "127.0.0.1",
    None,
    5,
    [],
    ["+14155550123"],
]


def clean_as_the_model_field_does(name, value):
    if name == "email":
        value = normalize_email(value)
    elif name == "phones":
        value = normalize_phones(value or [])
    return Profile._meta.get_field(name).clean(value, None)


def outcome(check, name, value):
    try:
        return "kept", check(name, value)
    except ValidationError as error:
        return "refused", error.messages
    except (AttributeError, TypeError) as error:
        return "failed", type(error).__name__


@pytest.mark.parametrize("name", EDITABLE)
def test_each_value_is_kept_or_refused_as_the_field_s_clean_does(name):
    for value in VALUES:
        prepared = outcome(lambda n, v: standard_check(n)(v, None), name, value)
        assert prepared == outcome(clean_as_the_model_field_does, name, value), (name, value)


def test_a_field_no_write_sets_has_no_check():
    assert standard_check("profile_id") is None
    assert standard_check("md5") is None


def test_a_batch_reads_the_custom_fields_once(database, django_assert_num_queries):
    CustomFieldFactory(database=database, name="plan", type="enum", options=["gold"])
    check = ProfileValuesCheck(database)
    with django_assert_num_queries(1):
        for _ in range(3):
            checked = check.check({"first_name": "Ann", "custom_values": {"plan": "gold"}})
    assert checked["custom_values"].applied_to({}) == {"plan": "gold"}
    with pytest.raises(ValidationError) as caught:
        check.check({"custom_values": {"plan": "silver"}})
    assert caught.value.message_dict == {"custom_values.plan": ["Enter one of: gold."]}


def test_a_change_of_standard_values_only_reads_no_custom_field(
    database, django_assert_num_queries
):
    profile = ProfileFactory(database=database)
    check = ProfileValuesCheck(database)
    with django_assert_num_queries(0):
        checked = check.check({"last_name": "Lee"}, profile=profile, check_email=False)
    assert checked == {"last_name": "Lee"}


def test_a_copied_row_writes_a_none_text_as_empty():
    convert = bulk._row_converter(
        [Profile._meta.get_field(name) for name in ("first_name", "phones", "birthday")]
    )
    assert convert(("Ann", ["+14155550123"], None)) == ["Ann", '["+14155550123"]', None]
    assert convert((None, [], None)) == ["", "[]", None]
