"""Domain rules of profile databases and profiles: custom values, identifiers, email,
phones, status, location, tab layout, and the services that record history."""

import hashlib

import pytest
import xxhash
from django.core.exceptions import ValidationError

from core.status import Status
from core.text import country_from_ip
from history.models import Event
from operations import profiles as services
from profiles.models import CustomField, Profile, ProfilePhone, check_profile_values
from segments.models import Segment, SegmentMembership
from subscriptions.models import SuppressedAddress
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(database):
    """One custom field of each of the 8 types in the ``database`` fixture."""
    specs = [
        ("orders", "number", []),
        ("average_check", "float", []),
        ("nickname", "line", []),
        ("last_order", "date", []),
        ("vip", "boolean", []),
        ("tier", "enum", ["bronze", "silver", "gold"]),
        ("signup_ip", "ip", []),
        ("interests", "tags", []),
    ]
    return {
        name: CustomFieldFactory(database=database, name=name, type=type, options=options)
        for name, type, options in specs
    }


def errors_of(profile):
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    return error.value.message_dict


def check_errors(database, profile=None, **values):
    """The errors of the check every write of a profile runs (nothing is written)."""
    with pytest.raises(ValidationError) as error:
        check_profile_values(database, values, profile=profile)
    return error.value.message_dict


# -- Custom values -------------------------------------------------------------------------


def test_a_custom_field_error_names_the_expected_format(fields):
    with pytest.raises(ValidationError) as error:
        fields["orders"].clean_value(3.5)
    assert error.value.messages == ["Enter a whole number, e.g. 42 or -7."]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("last_order", "2019-02-30T00:00:00Z", "Enter a date in RFC 3339 format"),
        ("signup_ip", "2001:db8::1", "Enter an IPv4 address, e.g. 127.0.0.1."),
        ("signup_ip", "256.1.1.1", "Enter an IPv4 address, e.g. 127.0.0.1."),
        ("tier", "platinum", "Enter one of: bronze, silver, gold."),
        ("interests", ["a;b"], "A tag cannot contain “,”, “|” or “;”"),
        ("interests", ["a|b"], "A tag cannot contain “,”, “|” or “;”"),
        ("orders", 1.5, "Enter a whole number, e.g. 42 or -7."),
        ("orders", True, "Enter a whole number, e.g. 42 or -7."),
        ("average_check", "cheap", "Enter a number, e.g. 3.14."),
        ("vip", "yes", "Enter true or false."),
        ("nickname", 7, "Enter text."),
    ],
)
def test_a_profile_rejects_a_bad_custom_value_naming_the_field(
    database, fields, name, value, message
):
    errors = check_errors(database, custom_values={name: value})
    assert list(errors) == [f"custom_values.{name}"]
    assert len(errors[f"custom_values.{name}"]) == 1
    assert errors[f"custom_values.{name}"][0].startswith(message)
    assert not Profile.objects.exists()


def test_a_profile_rejects_an_unknown_custom_field_name(database, fields):
    assert check_errors(database, custom_values={"shoe_size": 42}) == {
        "custom_values.shoe_size": ["No such field in database “Customers”."]
    }


def test_a_profile_needs_a_value_for_a_required_field(database, fields):
    CustomField.objects.filter(pk=fields["tier"].pk).update(required=True)
    required = {"custom_values.tier": ["This field is required."]}
    assert check_errors(database, custom_values={"orders": 1}) == required
    assert check_errors(database, custom_values={"orders": 1, "tier": ""}) == required
    assert check_errors(database) == required
    check_profile_values(database, {"custom_values": {"tier": "gold"}})


def test_a_profile_reports_every_bad_custom_value_at_once(database, fields):
    errors = check_errors(database, custom_values={"orders": "x", "vip": "x", "nope": 1})
    assert set(errors) == {"custom_values.orders", "custom_values.vip", "custom_values.nope"}


def test_a_profile_rejects_custom_values_that_are_not_an_object(database, fields):
    assert check_errors(database, custom_values=["orders", 1]) == {
        "custom_values": ["Enter an object mapping field names to values."]
    }


def test_a_profile_stores_custom_values_normalised(database, fields):
    profile = services.create_profile(
        database,
        {
            "custom_values": {
                "orders": "12",
                "average_check": "19.90",
                "nickname": "Ann ✨",
                "last_order": "2024-05-01T12:00:00+02:00",
                "vip": "true",
                "tier": "gold",
                "signup_ip": "10.0.0.1",
                "interests": "books|travel; books",
            }
        },
        source="api",
    )
    profile.refresh_from_db()
    assert profile.custom_values == {
        "orders": 12,
        "average_check": 19.9,
        "nickname": "Ann ✨",
        "last_order": "2024-05-01T10:00:00.000Z",
        "vip": True,
        "tier": "gold",
        "signup_ip": "10.0.0.1",
        "interests": ["books", "travel"],
    }


def test_an_empty_custom_value_removes_it(database, fields):
    profile = ProfileFactory(database=database, custom_values={"orders": 3, "nickname": "A"})
    services.update_profile(profile, {"custom_values": {"orders": None}}, source="api")
    profile.refresh_from_db()
    assert profile.custom_values == {"nickname": "A"}


def test_a_partial_change_keeps_the_other_custom_values(database, fields):
    change, errors = database.check_custom_values({"vip": True}, current={"orders": 3})
    assert errors == {}
    assert change.applied_to({"orders": 3}) == {"orders": 3, "vip": True}
    # Applied to what is held when the write locks the row: a change made meanwhile stays.
    assert change.applied_to({"orders": 4, "tier": "gold"}) == {
        "orders": 4,
        "tier": "gold",
        "vip": True,
    }


def test_an_enum_field_takes_its_options_from_a_comma_separated_line(database):
    field = CustomField(database=database, name="tier", type="enum", options="gold, silver,gold")
    field.full_clean()
    assert field.options == ["gold", "silver"]


def test_an_enum_field_needs_an_option(database):
    field = CustomField(database=database, name="tier", type="enum", options=" , ")
    with pytest.raises(ValidationError) as error:
        field.full_clean()
    assert error.value.message_dict["options"] == ["An enum field needs at least one option."]


def test_a_custom_field_name_is_a_slug_unique_in_its_database(database, fields):
    with pytest.raises(ValidationError) as error:
        CustomField(database=database, name="2 bad", type="line").full_clean()
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        CustomField(database=database, name="orders", type="line").full_clean()
    assert "__all__" in error.value.message_dict
    CustomField(database=ProfileDatabaseFactory(), name="orders", type="line").full_clean()


# -- Identifiers and email -----------------------------------------------------------------


def test_a_profile_id_is_24_random_hex_digits_with_derived_md5_and_xxh():
    profiles = ProfileFactory.create_batch(3)
    ids = [profile.profile_id for profile in profiles]
    assert len(set(ids)) == 3
    for profile in profiles:
        assert len(profile.profile_id) == 24
        int(profile.profile_id, 16)
        assert (
            profile.md5
            == hashlib.md5(profile.profile_id.encode(), usedforsecurity=False).hexdigest()
        )
        assert profile.xxh == xxhash.xxh64_hexdigest(profile.profile_id.encode())
        assert Profile.objects.get(md5=profile.md5) == profile
        assert Profile.objects.get(xxh=profile.xxh) == profile
        assert Profile.objects.get(profile_id=profile.profile_id) == profile


def test_identifiers_stay_the_same_when_a_profile_is_changed():
    profile = ProfileFactory()
    before = (profile.profile_id, profile.md5, profile.xxh)
    profile.first_name = "Changed"
    profile.save()
    profile.refresh_from_db()
    assert (profile.profile_id, profile.md5, profile.xxh) == before


def test_identifiers_are_unique_across_databases():
    first = ProfileFactory()
    second = ProfileFactory.build(database=ProfileDatabaseFactory(), profile_id=first.profile_id)
    errors = errors_of(second)
    assert "profile_id" in errors


def test_a_profile_without_an_email_gets_profile_id_at_localhost(database):
    profile = Profile(database=database)
    profile.full_clean()
    profile.save()
    profile.refresh_from_db()
    assert profile.email == f"{profile.profile_id}@localhost"
    assert profile.has_fallback_email()


def test_emails_are_stored_lowercase(database):
    profile = ProfileFactory(database=database, email="  Ann@Example.COM ")
    profile.refresh_from_db()
    assert profile.email == "ann@example.com"


def test_an_email_is_unique_within_a_database_only(database):
    ProfileFactory(database=database, email="ann@example.com")
    assert check_errors(database, email="ANN@example.com") == {
        "email": ["Another profile of database “Customers” has the email ann@example.com."]
    }
    check_profile_values(ProfileDatabaseFactory(), {"email": "ann@example.com"})


# -- Phones --------------------------------------------------------------------------------


def test_phones_are_normalised_to_e164_and_deduplicated(database):
    phones = ["+49 151 2345 6789", "+4915123456789", "+1 (202) 555-0179"]
    checked = check_profile_values(database, {"phones": phones})
    assert checked["phones"] == ["+4915123456789", "+12025550179"]


def test_phones_may_be_given_as_one_text(database):
    checked = check_profile_values(database, {"phones": "+49 151 2345 6789, +12025550179"})
    assert checked["phones"] == ["+4915123456789", "+12025550179"]


@pytest.mark.parametrize("phones", [["0151 2345 6789"], ["+1 555"], [12025550179], {"a": 1}])
def test_a_phone_without_its_country_code_or_not_a_phone_is_rejected(database, phones):
    assert "phones" in check_errors(database, phones=phones)


def test_a_phone_error_names_the_expected_format(database):
    assert check_errors(database, phones=["0151 2345"])["phones"] == [
        "Enter the phone in international format, e.g. +14155550123 (got “0151 2345”)."
    ]


def test_phones_are_searchable_in_any_notation_and_the_index_follows_changes(database):
    profile = ProfileFactory(database=database, phones=["+4915123456789"])
    assert list(Profile.objects.search("+49 (151) 23456789")) == [profile]
    profile.phones = ["+12025550179"]
    profile.save()
    assert list(ProfilePhone.objects.values_list("number", flat=True)) == ["+12025550179"]
    assert not Profile.objects.search("+4915123456789").exists()
    assert list(Profile.objects.search("+12025550179")) == [profile]


# -- Status --------------------------------------------------------------------------------


def test_a_hard_bounced_profile_puts_its_email_on_the_suppression_list(database):
    profile = ProfileFactory(database=database, email="ann@example.com")
    assert not SuppressedAddress.objects.is_suppressed("ann@example.com")
    services.change_status(profile, "hard_bounced", source="ui")
    entry = SuppressedAddress.objects.get()
    assert entry.address == "ann@example.com"
    assert entry.reason == "hard_bounced"
    assert entry.profile_id == profile.profile_id


def test_a_profile_created_hard_bounced_is_suppressed_too(database):
    values = {"email": "Bob@Example.com", "status": Status.HARD_BOUNCED}
    services.create_profile(database, values, source="api")
    assert SuppressedAddress.objects.is_suppressed("bob@example.com")


def test_other_statuses_do_not_suppress_the_address(database):
    profile = ProfileFactory(database=database)
    for status in Status.values:
        if status != Status.HARD_BOUNCED:
            services.change_status(profile, status, source="ui")
    assert not SuppressedAddress.objects.exists()


def test_an_unknown_status_is_rejected(database):
    with pytest.raises(ValueError, match="not a valid Status"):
        services.change_status(ProfileFactory(database=database), "gone", source="ui")
    profile = ProfileFactory.build(database=database, status="gone")
    assert "status" in errors_of(profile)


# -- Location ------------------------------------------------------------------------------


def test_location_is_detected_offline_from_the_ips():
    profile = ProfileFactory.build(reg_ip="81.2.69.160", ip="5.9.0.1")
    profile.detect_location()
    assert (profile.reg_country, profile.country) == ("GB", "DE")
    assert country_from_ip("8.8.8.8") == "US"


def test_location_detection_keeps_a_country_set_by_hand_and_ignores_private_ips():
    profile = ProfileFactory.build(reg_ip="81.2.69.160", reg_country="FR", ip="10.0.0.1")
    profile.detect_location()
    assert (profile.reg_country, profile.country) == ("FR", "")


def test_location_detection_can_be_limited_to_registration_data():
    profile = ProfileFactory.build(reg_ip="81.2.69.160", ip="5.9.0.1")
    profile.detect_location(fields=("reg_country",))
    assert (profile.reg_country, profile.country) == ("GB", "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reg_ip", "::1"),
        ("ip", "256.1.1.1"),
        ("country", "Germany"),
        ("latitude", 91),
        ("longitude", -181),
        ("timezone", "Mars/Olympus"),
        ("language", "english!"),
    ],
)
def test_standard_fields_reject_bad_values(database, field, value):
    assert field in check_errors(database, **{field: value})


# -- Tab layout ----------------------------------------------------------------------------


def test_a_database_opens_the_main_tab_by_default_and_lists_the_spec_tabs(database):
    assert database.default_tab == "main"
    assert [tab.label for tab in database.tabs()] == [
        "Main",
        "Personal",
        "Contact",
        "Reg. data",
        "Tracked",
        "Additional fields",
    ]


def test_the_additional_tab_shows_the_custom_fields(database, fields):
    assert database.get_tab("additional").fields == [f"custom.{name}" for name in sorted(fields)]


def test_the_default_tab_can_be_chosen_and_must_exist(database):
    database.set_default_tab("contact")
    database.refresh_from_db()
    assert database.default_tab == "contact"
    with pytest.raises(ValidationError):
        database.set_default_tab("nowhere")


def test_the_fields_of_a_tab_can_be_chosen_and_are_persisted(database, fields):
    database.set_tab_fields("contact", ["email", "custom.tier"])
    database.refresh_from_db()
    assert database.get_tab("contact").fields == ["email", "custom.tier"]


def test_an_unknown_field_cannot_be_put_on_a_tab(database):
    with pytest.raises(ValidationError) as error:
        database.set_tab_fields("contact", ["email", "shoe_size"])
    assert error.value.message_dict == {"fields": ["Unknown fields: shoe_size."]}
    database.refresh_from_db()
    assert database.get_tab("contact").fields == ["email", "phones"]
    with pytest.raises(ValidationError):
        database.set_tab_fields("nowhere", ["email"])


def test_a_custom_tab_gets_a_unique_slug_and_can_be_the_default(database, fields):
    tab = database.add_custom_tab("Loyalty data", ["custom.tier", "email"])
    again = database.add_custom_tab("Loyalty data", ["email"])
    database.refresh_from_db()
    assert tab.slug == "tab-loyalty-data" and again.slug == "tab-loyalty-data-2"
    assert database.get_tab(tab.slug).fields == ["custom.tier", "email"]
    assert database.get_tab(tab.slug).custom
    database.set_default_tab(tab.slug)
    database.remove_custom_tab(tab.slug)
    database.refresh_from_db()
    assert database.get_tab(tab.slug) is None
    assert database.default_tab == "main"


def test_a_custom_tab_needs_a_name_and_known_fields(database):
    with pytest.raises(ValidationError):
        database.add_custom_tab("  ", ["email"])
    with pytest.raises(ValidationError):
        database.add_custom_tab("Mine", ["custom.nope"])


def test_a_deleted_custom_field_disappears_from_the_tabs(database, fields):
    database.set_tab_fields("main", ["email", "custom.tier"])
    fields["tier"].delete()
    assert database.get_tab("main").fields == ["email"]


# -- Services and history ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "event_type"),
    [("manual", "import_manual"), ("api", "import_api"), ("file", "import_file")],
)
def test_creating_a_profile_records_how_it_came(database, source, event_type):
    profile = services.create_profile(database, {"first_name": "Ann"}, source=source)
    event = Event.objects.get(profile=profile)
    assert (event.type, event.data) == (event_type, {"source": source})


def test_the_control_group_mark_is_not_written_with_the_values(database):
    """Only the group's formation puts a profile in it (tests/interactions)."""
    with pytest.raises(ValidationError) as error:
        services.create_profile(database, {"in_control_group": True}, source="manual")
    assert error.value.message_dict == {
        "in_control_group": ["This field is set by the product, not written."]
    }


def test_a_status_change_records_from_and_to(database):
    profile = ProfileFactory(database=database)
    services.change_status(profile, "unsubscribed", source="ui")
    event = profile.events.get()
    assert event.type == "status_changed"
    assert event.data == {"from": "subscribed", "to": "unsubscribed", "source": "ui"}
    profile.refresh_from_db()
    assert profile.status == "unsubscribed"


def test_saving_without_a_status_change_records_nothing(database):
    profile = ProfileFactory(database=database)
    services.update_profile(profile, {"first_name": "Ann"}, source="ui")
    assert not profile.events.exists()


def test_the_control_group_mark_is_not_changed_with_the_values(database):
    profile = ProfileFactory(database=database)
    with pytest.raises(ValidationError, match="set by the product"):
        services.update_profile(profile, {"in_control_group": True}, source="ui")
    profile.refresh_from_db()
    assert not profile.in_control_group


def test_deleting_a_profile_removes_its_history_phones_and_memberships(database):
    profile = ProfileFactory(database=database, phones=["+12025550179"])
    other = ProfileFactory(database=database)
    EventFactory.create_batch(3, profile=profile)
    EventFactory(profile=other)
    segment = Segment.objects.create(name="VIP", database=database)
    SegmentMembership.objects.create(segment=segment, profile=profile)
    services.delete_profile(profile)
    assert not Profile.objects.filter(pk=profile.pk).exists()
    assert list(Event.objects.values_list("profile", flat=True)) == [other.pk]
    assert not ProfilePhone.objects.exists()
    assert not SegmentMembership.objects.exists()
    assert Segment.objects.exists()


def test_a_profile_loaded_with_only_some_fields_can_be_read_and_saved(database):
    profile = ProfileFactory(database=database, phones=["+12025550179"])
    partial = Profile.objects.only("pk", "email").get()
    assert partial.email == profile.email
    partial.first_name = "Changed"
    partial.save(update_fields=["first_name"])
    assert list(Profile.objects.search("+12025550179")) == [profile]
    assert Profile.objects.defer("status", "phones").get().first_name == "Changed"


def test_a_field_holding_values_cannot_be_renamed_or_retyped(database, fields):
    ProfileFactory(database=database, custom_values={"orders": 3})
    field = fields["orders"]
    assert field.held_value_errors("orders", "number", []) == {}
    assert field.held_value_errors("purchases", "number", [])["name"] == [
        "1 profile holds a value for “orders”; "
        "create a new field instead of renaming it or changing its type."
    ]
    assert "type" in field.held_value_errors("orders", "float", [])
    assert fields["nickname"].held_value_errors("alias", "tags", []) == {}


def test_an_enum_option_in_use_cannot_be_removed(database, fields):
    ProfileFactory(database=database, custom_values={"tier": "gold"})
    tier = fields["tier"]
    assert tier.held_value_errors("tier", "enum", ["gold", "platinum"]) == {}
    assert tier.held_value_errors("tier", "enum", ["bronze", "silver"]) == {
        "options": ["Some profiles hold removed options (gold); change their values first."]
    }
    assert list(tier.holders(["gold"]).values_list("custom_values", flat=True)) == [
        {"tier": "gold"}
    ]


def test_only_the_editable_standard_fields_can_be_written(database):
    errors = check_errors(database, md5="0" * 32, first_name="Ann")
    assert errors == {"md5": ["This field is set by the product, not written."]}


@pytest.mark.django_db
def test_an_email_taken_between_check_and_insert_leaves_the_transaction_usable(database):
    """The race of a double submit, made deterministic: the values were checked before the
    other profile took the email. The write answers a ValidationError naming the email, and
    the request's transaction goes on (the page can still render its form)."""
    checked = check_profile_values(database, {"email": "race@example.com"})
    ProfileFactory(database=database, email="race@example.com")

    with pytest.raises(ValidationError) as error:
        services.create_profile(database, checked, source="manual")

    assert "email" in error.value.message_dict
    assert Profile.objects.filter(email="race@example.com").count() == 1  # no broken transaction
