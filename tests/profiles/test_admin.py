"""The admin: every model's list, search, filters and forms, and the rules behind them.

Lists must answer with the same number of queries however many rows there are, so
each page is measured with a few rows and again with more.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from history.models import Event
from profiles.models import CustomField, Profile, ProfileDatabase, ProfilePhone
from segments.models import Segment, SegmentMembership
from subscriptions.models import SuppressedAddress
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PHONES = ["+12025550179", "+4915123456789", "+447400123456", "+33612345678", "+34612345678"]


def add_rows(database, n, start=0):
    """Add n profiles to the database, each with a phone, events, a segment and suppression."""
    segment, _ = Segment.objects.get_or_create(name="VIP", database=database)
    for i in range(start, start + n):
        profile = ProfileFactory(
            database=database,
            email=f"row{i}@example.com",
            phones=[f"+1202555{i:04d}"],
            custom_values={"tier": "gold"},
        )
        EventFactory.create_batch(2, profile=profile)
        EventFactory(profile=profile, type="click", data={"url": "https://example.com/?a=1"})
        SegmentMembership.objects.create(segment=segment, profile=profile)
        SuppressedAddress.objects.suppress(profile.email, reason="manual", profile=profile)
    CustomFieldFactory(database=database, name=f"extra_{start}", type="number")
    ProfileDatabaseFactory(name=f"More {start}")


@pytest.fixture
def tier(database):
    return CustomFieldFactory(
        database=database, name="tier", type="enum", options=["bronze", "silver", "gold"]
    )


def changelist(name):
    return reverse(f"admin:{name}_changelist")


LIST_PAGES = [
    ("profiles_profiledatabase", ""),
    ("profiles_profiledatabase", "?q=Customers"),
    ("profiles_customfield", ""),
    ("profiles_customfield", "?type__exact=number&required__exact=0&q=extra"),
    ("profiles_profile", ""),
    ("profiles_profile", "?q=row1@example.com"),
    ("profiles_profile", "?q=%2B1+202+555+0001"),
    ("profiles_profile", "?q=0123456789abcdef0123456789abcdef"),
    ("profiles_profile", "?status__exact=subscribed&in_control_group__exact=0"),
    ("profiles_profile", "?created_at__gte=2000-01-01T00:00:00%2B00:00&gender__exact=female"),
    ("profiles_profile", "?o=3"),
    ("profiles_profilephone", ""),
    ("profiles_profilephone", "?q=%2B1+(202)+555-0002"),
    ("history_event", ""),
    ("history_event", "?type=click"),
    ("history_event", "?q=click"),
    ("history_event", "?q=0123456789abcdef01234567"),
    ("history_event", "?occurred_at__gte=2000-01-01T00:00:00%2B00:00"),
    ("segments_segment", ""),
    ("segments_segment", "?q=VIP"),
    ("segments_segmentmembership", ""),
    ("segments_segmentmembership", "?q=row1@example.com"),
    ("subscriptions_suppressedaddress", ""),
    ("subscriptions_suppressedaddress", "?q=row&reason__exact=manual"),
]


@pytest.mark.parametrize(("name", "query"), LIST_PAGES)
def test_every_list_answers_with_a_query_count_independent_of_the_rows(
    client, alice, database, tier, name, query
):
    client.force_login(alice)
    url = changelist(name) + query
    add_rows(database, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(database, 8, start=2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.parametrize(
    "name",
    [
        "profiles_profile",
        "profiles_profilephone",
        "history_event",
        "segments_segmentmembership",
        "subscriptions_suppressedaddress",
    ],
)
def test_big_lists_never_count_per_filter_option(client, alice, name):
    client.force_login(alice)
    response = client.get(changelist(name) + "?_facets=1")
    assert response.status_code == 200
    assert not response.context["cl"].add_facets
    assert not response.context["cl"].show_full_result_count


def test_lists_filter_by_database_status_control_group_and_type(client, alice, database, tier):
    client.force_login(alice)
    add_rows(database, 2)
    other = ProfileFactory(status="unsubscribed", in_control_group=True)
    EventFactory(profile=other, type="open")
    response = client.get(
        changelist("profiles_profile")
        + "?status__exact=unsubscribed&in_control_group__exact=1"
        + f"&database__id__exact={other.database_id}"
    )
    assert list(response.context["cl"].result_list) == [other]
    response = client.get(changelist("history_event") + "?type=open")
    assert [event.profile for event in response.context["cl"].result_list] == [other]
    response = client.get(
        changelist("history_event") + f"?profile__database__id__exact={database.pk}&type=click"
    )
    assert len(response.context["cl"].result_list) == 2


@pytest.mark.parametrize(
    "term",
    [
        "ann@exa",
        "+49 (151) 2345-6789",
        "Ann",
        "ann example",
        "{profile_id}",
        "{md5}",
        "{XXH}",
    ],
)
def test_the_profile_search_finds_by_email_phone_name_and_every_identifier(
    client, alice, database, term
):
    ann = ProfileFactory(
        database=database,
        email="ann@example.com",
        first_name="Ann",
        last_name="Example",
        phones=["+4915123456789"],
    )
    ProfileFactory(database=database, email="zed@example.com", first_name="Zed")
    client.force_login(alice)
    term = term.format(profile_id=ann.profile_id, md5=ann.md5, XXH=ann.xxh.upper())
    response = client.get(changelist("profiles_profile"), {"q": term})
    assert list(response.context["cl"].result_list) == [ann]


def test_the_event_search_finds_a_profiles_events_by_profile_id(client, alice, database):
    ann = ProfileFactory(database=database)
    mine = EventFactory(profile=ann, type="open")
    EventFactory(type="open")
    client.force_login(alice)
    response = client.get(changelist("history_event"), {"q": ann.profile_id.upper()})
    assert list(response.context["cl"].result_list) == [mine]


def test_one_profiles_events_are_listed_newest_occurred_first(client, alice, database):
    ann = ProfileFactory(database=database)
    older = EventFactory(profile=ann, occurred_at="2024-01-01T00:00:00Z")
    newer = EventFactory(profile=ann, occurred_at="2024-02-01T00:00:00Z")
    late = EventFactory(profile=ann, occurred_at="2023-01-01T00:00:00Z")
    client.force_login(alice)
    response = client.get(changelist("history_event"), {"profile": ann.pk})
    assert list(response.context["cl"].result_list) == [newer, older, late]


CHANGE_PAGES = [
    ("profiles_profiledatabase", lambda rows: rows["database"]),
    ("profiles_customfield", lambda rows: rows["field"]),
    ("profiles_profile", lambda rows: rows["profile"]),
    ("profiles_profilephone", lambda rows: ProfilePhone.objects.first()),
    ("history_event", lambda rows: Event.objects.first()),
    ("segments_segment", lambda rows: Segment.objects.first()),
    ("segments_segmentmembership", lambda rows: SegmentMembership.objects.first()),
    ("subscriptions_suppressedaddress", lambda rows: SuppressedAddress.objects.first()),
]


@pytest.mark.parametrize(("name", "pick"), CHANGE_PAGES)
def test_every_change_page_answers(client, alice, database, tier, name, pick):
    add_rows(database, 2)
    obj = pick({"database": database, "field": tier, "profile": Profile.objects.first()})
    client.force_login(alice)
    assert client.get(reverse(f"admin:{name}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "profiles_profiledatabase",
        "profiles_customfield",
        "profiles_profile",
        "segments_segment",
        "segments_segmentmembership",
        "subscriptions_suppressedaddress",
    ],
)
def test_every_add_page_answers(client, alice, database, name):
    client.force_login(alice)
    assert client.get(reverse(f"admin:{name}_add")).status_code == 200


@pytest.mark.parametrize("name", [name for name, _ in CHANGE_PAGES])
def test_someone_not_staff_is_sent_to_the_admin_login(client, bob, name):
    client.force_login(bob)
    url = changelist(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_staff_member_sees_only_the_profiles_of_his_databases(client, database):
    staff = UserFactory(username="dora", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_profile", "view_event"])
    )
    database.members.add(staff)
    mine = ProfileFactory(database=database)
    theirs = ProfileFactory()
    EventFactory(profile=mine)
    EventFactory(profile=theirs)
    client.force_login(staff)
    response = client.get(changelist("profiles_profile"))
    assert list(response.context["cl"].result_list) == [mine]
    response = client.get(changelist("history_event"))
    assert [event.profile for event in response.context["cl"].result_list] == [mine]
    url = reverse("admin:profiles_profile_change", args=[theirs.pk])
    assert client.get(url).status_code == 302  # "does not exist", back to the admin index


# -- Profile forms -------------------------------------------------------------------------


def profile_form(profile=None, **changes):
    """Return the POST data of the profile admin form (current values plus changes)."""
    data = {
        "database": profile.database_id if profile else "",
        "status": profile.status if profile else "subscribed",
        "email": profile.email if profile else "",
        "phones": "\n".join(profile.phones) if profile else "",
        "custom_values": "{}",
    }
    if profile:
        data["custom_values"] = __import__("json").dumps(profile.custom_values)
        for name in ("first_name", "last_name", "middle_name", "gender", "language"):
            data[name] = getattr(profile, name)
        if profile.in_control_group:
            data["in_control_group"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_adding_a_profile_records_a_manual_import(client, alice, database, tier):
    client.force_login(alice)
    response = client.post(
        reverse("admin:profiles_profile_add"),
        profile_form(
            database=database.pk,
            email="New@Example.com",
            phones="+1 202 555 0179",
            first_name="Ann",
            custom_values='{"tier": "gold"}',
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile = Profile.objects.get()
    assert (profile.email, profile.phones) == ("new@example.com", ["+12025550179"])
    assert profile.custom_values == {"tier": "gold"}
    assert list(profile.events.values_list("type", flat=True)) == ["import_manual"]


@pytest.mark.parametrize(
    ("custom_values", "message"),
    [
        ('{"tier": "platinum"}', "tier: Enter one of: bronze, silver, gold."),
        ('{"shoe_size": 42}', "shoe_size: No such field in database “Customers”."),
        ('["tier"]', "Enter an object mapping field names to values."),
        ("{not json", "Enter a valid JSON."),
    ],
)
def test_a_bad_custom_value_is_shown_on_the_field_and_nothing_is_saved(
    client, alice, database, tier, custom_values, message
):
    client.force_login(alice)
    response = client.post(
        reverse("admin:profiles_profile_add"),
        profile_form(database=database.pk, custom_values=custom_values),
    )
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors["custom_values"]
    assert not Profile.objects.exists()
    assert not Event.objects.exists()


def test_a_bad_phone_is_shown_on_the_field(client, alice, database):
    client.force_login(alice)
    response = client.post(
        reverse("admin:profiles_profile_add"), profile_form(database=database.pk, phones="0151")
    )
    assert response.context["adminform"].form.errors["phones"] == [
        "Enter the phone in international format, e.g. +14155550123 (got “0151”)."
    ]


def test_changing_the_status_records_it_and_hard_bounced_suppresses(client, alice, database):
    profile = ProfileFactory(database=database, email="ann@example.com")
    client.force_login(alice)
    url = reverse("admin:profiles_profile_change", args=[profile.pk])
    response = client.post(url, profile_form(profile, status="hard_bounced"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = profile.events.get()
    assert event.type == "status_changed"
    assert event.data == {"from": "subscribed", "to": "hard_bounced", "source": "manual"}
    assert SuppressedAddress.objects.is_suppressed("ann@example.com")


def test_the_control_group_mark_is_not_written_in_the_admin(client, alice, database):
    """The group's formation decides who is in it; the admin shows the mark only."""
    profile = ProfileFactory(database=database)
    client.force_login(alice)
    url = reverse("admin:profiles_profile_change", args=[profile.pk])
    response = client.post(url, profile_form(profile, in_control_group="on"))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert not profile.in_control_group
    assert not profile.events.filter(type="control_group_entered").exists()


def test_an_email_taken_in_the_database_is_an_error_not_a_crash(client, alice, database):
    ProfileFactory(database=database, email="ann@example.com")
    profile = ProfileFactory(database=database, email="bob@example.com")
    client.force_login(alice)
    url = reverse("admin:profiles_profile_change", args=[profile.pk])
    response = client.post(url, profile_form(profile, email="ANN@example.com"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.email == "bob@example.com"


def test_a_profile_stays_in_its_database_and_keeps_its_identifiers(client, alice, database):
    profile = ProfileFactory(database=database)
    before = (profile.profile_id, profile.md5, profile.xxh)
    client.force_login(alice)
    url = reverse("admin:profiles_profile_change", args=[profile.pk])
    data = profile_form(profile, database=ProfileDatabaseFactory().pk, first_name="New")
    data |= {"profile_id": "0" * 24, "md5": "0" * 32}
    assert client.post(url, data).status_code == 302
    profile.refresh_from_db()
    assert profile.database == database
    assert (profile.profile_id, profile.md5, profile.xxh) == before
    assert profile.first_name == "New"


def test_the_custom_values_help_shows_typed_names_and_options_as_text(client, alice):
    database = ProfileDatabaseFactory(name="<b>Shop</b>")
    CustomFieldFactory(database=database, name="tier", type="enum", options=["<i>gold</i>"])
    profile = ProfileFactory(database=database)
    client.force_login(alice)
    html = client.get(reverse("admin:profiles_profile_change", args=[profile.pk])).content.decode()
    assert "<b>Shop</b>" not in html
    assert "<i>gold</i>" not in html
    assert "Fields of “&lt;b&gt;Shop&lt;/b&gt;”: tier (Enum: &lt;i&gt;gold&lt;/i&gt;)." in html


def test_deleting_a_profile_needs_the_delete_permission(client, database):
    staff = UserFactory(username="dora", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_profile", "change_profile"])
    )
    database.members.add(staff)
    profile = ProfileFactory(database=database)
    client.force_login(staff)
    url = reverse("admin:profiles_profile_delete", args=[profile.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_deleting_a_profile_removes_its_history_and_summarises_it(client, alice, database):
    profile = ProfileFactory(database=database, phones=["+12025550179"])
    EventFactory.create_batch(30, profile=profile)
    client.force_login(alice)
    url = reverse("admin:profiles_profile_delete", args=[profile.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert dict(response.context["model_count"])["events"] == 30
    assert len(queries) < 30
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Profile.objects.exists()
    assert not Event.objects.exists()
    assert not ProfilePhone.objects.exists()


def test_the_delete_action_removes_the_selected_profiles_with_their_history(
    client, alice, database
):
    first, second, kept = ProfileFactory.create_batch(3, database=database)
    for profile in (first, second, kept):
        EventFactory(profile=profile)
    client.force_login(alice)
    data = {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"}
    assert client.post(changelist("profiles_profile"), data).status_code == 302
    assert list(Profile.objects.all()) == [kept]
    assert list(Event.objects.values_list("profile", flat=True)) == [kept.pk]


# -- Databases and custom fields -----------------------------------------------------------


def test_a_database_with_profiles_cannot_be_deleted(client, alice, database):
    ProfileFactory.create_batch(3, database=database)
    client.force_login(alice)
    url = reverse("admin:profiles_profiledatabase_delete", args=[database.pk])
    response = client.get(url)
    assert response.context["protected"] == ["3 profiles belong to it; delete them first"]
    client.post(url, {"post": "yes"})
    assert ProfileDatabase.objects.filter(pk=database.pk).exists()


def test_the_default_tab_is_one_of_the_databases_tabs(client, alice, database):
    database.add_custom_tab("Loyalty", ["email"])
    client.force_login(alice)
    url = reverse("admin:profiles_profiledatabase_change", args=[database.pk])
    inline = {
        "custom_fields-TOTAL_FORMS": "0",
        "custom_fields-INITIAL_FORMS": "0",
        "custom_fields-MIN_NUM_FORMS": "0",
        "custom_fields-MAX_NUM_FORMS": "1000",
    }
    data = {"name": "Customers", "description": "", "default_tab": "nowhere"} | inline
    assert "default_tab" in client.post(url, data).context["adminform"].form.errors
    assert client.post(url, data | {"default_tab": "tab-loyalty"}).status_code == 302
    database.refresh_from_db()
    assert database.default_tab == "tab-loyalty"
    assert database.get_tab("tab-loyalty").fields == ["email"]


def custom_field_form(field, **changes):
    data = {
        "database": field.database_id,
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "options": ", ".join(field.options),
        "position": field.position,
    }
    return data | changes


def test_enum_options_are_typed_as_one_comma_separated_line(client, alice, database):
    client.force_login(alice)
    data = {"database": database.pk, "name": "tier", "type": "enum", "position": 0}
    response = client.post(
        reverse("admin:profiles_customfield_add"), data | {"options": "gold, silver,, gold"}
    )
    assert response.status_code == 302
    assert CustomField.objects.get().options == ["gold", "silver"]
    response = client.post(
        reverse("admin:profiles_customfield_add"), data | {"name": "empty", "options": " , "}
    )
    assert response.context["adminform"].form.errors["options"] == [
        "An enum field needs at least one option."
    ]


def test_a_field_holding_values_keeps_its_name_type_and_used_options(client, alice, database, tier):
    ProfileFactory(database=database, custom_values={"tier": "gold"})
    client.force_login(alice)
    url = reverse("admin:profiles_customfield_change", args=[tier.pk])
    for changes, field in [
        ({"name": "level"}, "name"),
        ({"type": "line", "options": ""}, "type"),
        ({"options": "bronze, silver"}, "options"),
    ]:
        response = client.post(url, custom_field_form(tier, **changes))
        assert field in response.context["adminform"].form.errors, changes
    assert client.post(url, custom_field_form(tier, options="gold, platinum")).status_code == 302
    tier.refresh_from_db()
    assert (tier.name, tier.options) == ("tier", ["gold", "platinum"])


def test_deleting_a_custom_field_in_the_admin_removes_its_values(client, alice, database, tier):
    profile = ProfileFactory(database=database, custom_values={"tier": "gold"})
    client.force_login(alice)
    data = {"action": "delete_selected", "_selected_action": [tier.pk], "post": "yes"}
    assert client.post(changelist("profiles_customfield"), data).status_code == 302
    profile.refresh_from_db()
    assert profile.custom_values == {}


# -- Events, segments, suppression list ----------------------------------------------------


def test_events_are_read_only(client, alice, database):
    event = EventFactory(profile=ProfileFactory(database=database))
    client.force_login(alice)
    assert client.get(reverse("admin:history_event_add")).status_code == 403
    url = reverse("admin:history_event_change", args=[event.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    client.post(url, {"type": "click"})
    event.refresh_from_db()
    assert event.type == "import_manual"
    delete = reverse("admin:history_event_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_adding_a_segment_member_records_the_entry(client, alice, database):
    profile = ProfileFactory(database=database)
    segment = Segment.objects.create(name="VIP", database=database)
    client.force_login(alice)
    url = reverse("admin:segments_segmentmembership_add")
    response = client.post(url, {"segment": segment.pk, "profile": profile.pk})
    assert response.status_code == 302
    assert SegmentMembership.objects.filter(segment=segment, profile=profile).exists()
    event = profile.events.get()
    assert (event.type, event.data) == ("segment_entered", {"segment": segment.pk, "name": "VIP"})


def test_a_profile_of_another_database_cannot_join_a_segment(client, alice, database):
    segment = Segment.objects.create(name="VIP", database=database)
    stranger = ProfileFactory()
    client.force_login(alice)
    url = reverse("admin:segments_segmentmembership_add")
    response = client.post(url, {"segment": segment.pk, "profile": stranger.pk})
    assert response.status_code == 200
    assert "profile" in response.context["adminform"].form.errors
    assert not SegmentMembership.objects.exists()


def test_removing_segment_members_records_the_exits(client, alice, database):
    segment = Segment.objects.create(name="VIP", database=database)
    profiles = ProfileFactory.create_batch(2, database=database)
    memberships = [SegmentMembership.objects.create(segment=segment, profile=p) for p in profiles]
    client.force_login(alice)
    data = {
        "action": "delete_selected",
        "_selected_action": [m.pk for m in memberships],
        "post": "yes",
    }
    assert client.post(changelist("segments_segmentmembership"), data).status_code == 302
    assert not SegmentMembership.objects.exists()
    assert sorted(Event.objects.values_list("type", flat=True)) == ["segment_exited"] * 2


def test_an_address_added_by_hand_is_stored_lowercase_and_checked(client, alice):
    client.force_login(alice)
    url = reverse("admin:subscriptions_suppressedaddress_add")
    response = client.post(url, {"address": "  Ann@Example.COM ", "reason": "manual"})
    assert response.status_code == 302
    assert SuppressedAddress.objects.is_suppressed("ann@example.com")
    response = client.post(url, {"address": "not an address", "reason": "manual"})
    assert "address" in response.context["adminform"].form.errors
    response = client.post(url, {"address": "ANN@example.com", "reason": "manual"})
    assert "address" in response.context["adminform"].form.errors
    assert SuppressedAddress.objects.count() == 1
