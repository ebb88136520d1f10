import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from history.models import Event
from profiles.models import Profile
from subscriptions.models import SuppressedAddress
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/"
CONTRACT_FIELDS = {
    "profile_id",
    "md5",
    "xxh",
    "database",
    "status",
    "email",
    "phones",
    "first_name",
    "last_name",
    "fields",
    "created_at",
    "updated_at",
}
STANDARD_FIELDS = {
    "middle_name",
    "gender",
    "birthday",
    "language",
    "latitude",
    "longitude",
    "reg_date",
    "reg_source",
    "reg_ip",
    "reg_country",
    "reg_city",
    "ip",
    "country",
    "region",
    "city",
    "zip_code",
    "timezone",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "in_control_group",
}


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


@pytest.fixture
def plan(database):
    return CustomFieldFactory(
        database=database, name="plan", type="enum", options=["gold", "silver"]
    )


def detail(profile):
    return f"{URL}{profile.profile_id}/"


def create(client, database, **data):
    return client.post(URL, {"database": database.pk, **data}, format="json")


# -- Representation ------------------------------------------------------------------------


def test_it_shows_a_profile_with_the_contract_field_names(client, database, plan):
    profile = ProfileFactory(
        database=database,
        email="ann@example.com",
        phones=["+12025550179"],
        first_name="Ann",
        last_name="Lee",
        custom_values={"plan": "gold"},
    )
    response = client.get(detail(profile))
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= CONTRACT_FIELDS | STANDARD_FIELDS
    assert "custom_values" not in data
    assert data["profile_id"] == profile.profile_id
    assert (data["md5"], data["xxh"]) == (profile.md5, profile.xxh)
    assert data["database"] == database.pk
    assert data["status"] == "subscribed"
    assert data["email"] == "ann@example.com"
    assert data["phones"] == ["+12025550179"]
    assert (data["first_name"], data["last_name"]) == ("Ann", "Lee")
    assert data["fields"] == {"plan": "gold"}


def test_it_lists_profiles_newest_first_with_a_cursor(client, database):
    profiles = ProfileFactory.create_batch(5, database=database)
    response = client.get(URL, {"page_size": 2})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"next", "previous", "results"}
    seen = [row["profile_id"] for row in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["profile_id"] for row in page["results"]]
    assert seen == [p.profile_id for p in reversed(profiles)]


def test_the_list_runs_a_fixed_number_of_queries_without_counting(
    client, database, plan, django_assert_max_num_queries
):
    ProfileFactory.create_batch(2, database=database, custom_values={"plan": "gold"})
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    ProfileFactory.create_batch(40, database=database, custom_values={"plan": "silver"})
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(URL)
    assert len(response.json()["results"]) == 42
    assert not any("COUNT(" in query["sql"].upper() for query in many.captured_queries)


def test_the_filtered_list_runs_a_fixed_number_of_queries(
    client, database, django_assert_max_num_queries
):
    ProfileFactory.create_batch(3, database=database, status="unsubscribed")
    params = {"database": database.pk, "status": "unsubscribed", "search": "a"}
    with CaptureQueriesContext(connection) as few:
        client.get(URL, params)
    ProfileFactory.create_batch(30, database=database, status="unsubscribed")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL, params).status_code == 200


# -- Filters -------------------------------------------------------------------------------


def ids(response):
    assert response.status_code == 200, response.json()
    return {row["profile_id"] for row in response.json()["results"]}


def test_it_filters_by_database(client, bob, database):
    other = ProfileDatabaseFactory(name="Partners")
    other.members.add(bob)
    mine = ProfileFactory(database=database)
    theirs = ProfileFactory(database=other)
    assert ids(client.get(URL, {"database": database.pk})) == {mine.profile_id}
    assert ids(client.get(URL, {"database": other.pk})) == {theirs.profile_id}
    assert ids(client.get(URL)) == {mine.profile_id, theirs.profile_id}


def test_it_filters_by_status_one_or_several(client, database):
    subscribed = ProfileFactory(database=database, status="subscribed")
    bounced = ProfileFactory(database=database, status="hard_bounced")
    ProfileFactory(database=database, status="invalid")
    assert ids(client.get(URL, {"status": "hard_bounced"})) == {bounced.profile_id}
    both = client.get(f"{URL}?status=subscribed&status=hard_bounced")
    assert ids(both) == {subscribed.profile_id, bounced.profile_id}


def test_it_filters_by_email_ignoring_case(client, database):
    ann = ProfileFactory(database=database, email="ann@example.com")
    ProfileFactory(database=database, email="bo@example.com")
    assert ids(client.get(URL, {"email": "ANN@example.com"})) == {ann.profile_id}


def test_it_filters_by_phone_in_any_format(client, database):
    ann = ProfileFactory(database=database, phones=["+12025550179"])
    ProfileFactory(database=database, phones=["+12025550180"])
    assert ids(client.get(URL, {"phone": "+1 (202) 555-0179"})) == {ann.profile_id}
    assert ids(client.get(URL, {"phone": "not a phone"})) == set()
    # Its country code without the "+", or a "+" a query string turned into a space.
    assert ids(client.get(URL, {"phone": "12025550179"})) == {ann.profile_id}
    assert ids(client.get(f"{URL}?phone=+12025550179")) == {ann.profile_id}


def test_it_looks_profiles_up_by_md5_xxh_and_profile_id(client, database):
    ann, _ = ProfileFactory.create_batch(2, database=database)
    assert ids(client.get(URL, {"md5": ann.md5})) == {ann.profile_id}
    assert ids(client.get(URL, {"xxh": ann.xxh})) == {ann.profile_id}
    assert ids(client.get(URL, {"profile_id": ann.profile_id})) == {ann.profile_id}
    assert ids(client.get(URL, {"md5": "0" * 32})) == set()


def test_it_searches_by_email_name_phone_and_profile_id(client, database):
    ann = ProfileFactory(
        database=database,
        email="ann.lee@example.com",
        first_name="Ann",
        last_name="Lee",
        phones=["+12025550179"],
    )
    ProfileFactory(database=database, email="zed@example.com", first_name="Zed", last_name="Ko")
    for text in ("ann.lee@", "Ann Lee", "+12025550179", ann.profile_id):
        assert ids(client.get(URL, {"search": text})) == {ann.profile_id}, text


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "sleeping"}, "status"), ({"database": "abc"}, "database")]
)
def test_it_rejects_a_bad_filter_naming_it(client, database, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_it_does_not_filter_by_a_database_the_user_may_not_see(client):
    hidden = ProfileDatabaseFactory()
    ProfileFactory(database=hidden)
    response = client.get(URL, {"database": hidden.pk})
    assert response.status_code == 400
    assert "database" in response.json()


# -- Create --------------------------------------------------------------------------------


def test_it_creates_a_profile_and_records_the_api_import(client, database, plan):
    response = create(
        client,
        database,
        email="Ann@Example.com",
        phones=["+1 202 555 0179", "+44 20 7946 0958"],
        first_name="Ann",
        fields={"plan": "gold"},
        status="unconfirmed",
    )
    assert response.status_code == 201, response.json()
    profile = Profile.objects.get(profile_id=response.json()["profile_id"])
    assert profile.email == "ann@example.com"
    assert profile.phones == ["+12025550179", "+442079460958"]
    assert profile.custom_values == {"plan": "gold"}
    assert profile.status == "unconfirmed"
    assert list(profile.events.values_list("type", flat=True)) == ["import_api"]
    assert response.json()["fields"] == {"plan": "gold"}


def test_it_gives_a_profile_without_email_the_localhost_address(client, database):
    response = create(client, database, first_name="Ann")
    assert response.status_code == 201
    data = response.json()
    assert data["email"] == f"{data['profile_id']}@localhost"


def test_it_ignores_posted_read_only_fields(client, database):
    response = create(
        client,
        database,
        email="ann@example.com",
        profile_id="a" * 24,
        md5="b" * 32,
        xxh="c" * 16,
        created_at="2001-01-01T00:00:00Z",
        updated_at="2001-01-01T00:00:00Z",
    )
    assert response.status_code == 201, response.json()
    profile = Profile.objects.get()
    assert profile.profile_id != "a" * 24
    assert profile.md5 != "b" * 32 and profile.xxh != "c" * 16
    assert profile.created_at.year > 2001


def test_it_requires_the_database_on_create(client):
    response = client.post(URL, {"email": "ann@example.com"}, format="json")
    assert response.status_code == 400
    assert "database" in response.json()
    assert not Profile.objects.exists()


def test_it_refuses_to_create_in_a_database_the_user_may_not_see(client):
    hidden = ProfileDatabaseFactory()
    response = create(client, hidden, email="ann@example.com")
    assert response.status_code == 400
    assert "database" in response.json()
    assert not Profile.objects.exists()


def test_it_keeps_emails_unique_per_database_only(client, bob, database):
    other = ProfileDatabaseFactory(name="Partners")
    other.members.add(bob)
    assert create(client, database, email="ann@example.com").status_code == 201
    response = create(client, database, email="ANN@example.com")
    assert response.status_code == 400
    assert "email" in response.json()
    assert database.profiles.count() == 1
    assert create(client, other, email="ann@example.com").status_code == 201


def test_it_refuses_to_change_an_email_to_one_taken_in_the_database(client, database):
    ProfileFactory(database=database, email="ann@example.com")
    bo = ProfileFactory(database=database, email="bo@example.com")
    response = client.patch(detail(bo), {"email": "ann@example.com"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    bo.refresh_from_db()
    assert bo.email == "bo@example.com"


def test_it_detects_the_country_of_a_registration_ip(client, database):
    response = create(client, database, reg_ip="8.8.8.8", ip="194.25.2.129")
    assert response.status_code == 201
    assert response.json()["reg_country"] == "US"
    assert response.json()["country"] == "DE"


def test_it_keeps_a_country_given_with_the_ip(client, database):
    response = create(client, database, reg_ip="8.8.8.8", reg_country="GB")
    assert response.json()["reg_country"] == "GB"


def test_it_detects_no_location_when_told_not_to(client, database):
    response = client.post(
        f"{URL}?detect_location=false",
        {"database": database.pk, "reg_ip": "8.8.8.8"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["reg_country"] == ""


@pytest.mark.parametrize("word", ["perhaps", "yes", "1"])
def test_it_rejects_a_detect_location_that_is_not_true_or_false(client, database, word):
    response = client.post(
        f"{URL}?detect_location={word}", {"database": database.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detect_location"] == ["Enter true or false."]
    assert not Profile.objects.exists()


def test_a_bad_custom_value_is_named_once_by_its_key(client, database, plan):
    response = client.post(URL, {"database": database.pk, "fields": {"plan": 5}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"fields": {"plan": ["Enter one of: gold, silver."]}}


def test_it_relocates_a_changed_ip(client, database):
    profile = ProfileFactory(database=database, ip="8.8.8.8", country="US")
    response = client.patch(detail(profile), {"ip": "81.2.69.160"}, format="json")
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.country == "GB"


# -- Custom field types ---------------------------------------------------------------------

GOOD_VALUES = [
    ("number", [], 42, 42),
    ("number", [], "-7", -7),
    ("float", [], 3.14, 3.14),
    ("float", [], "2.5", 2.5),
    ("line", [], "Grüße, 世界! 123 #$%", "Grüße, 世界! 123 #$%"),
    ("date", [], "2019-08-22T00:00:00.000Z", "2019-08-22T00:00:00.000Z"),
    ("date", [], "2019-08-22T03:00:00+03:00", "2019-08-22T00:00:00.000Z"),
    ("boolean", [], True, True),
    ("boolean", [], "false", False),
    ("enum", ["gold", "silver"], "silver", "silver"),
    ("ip", [], "127.0.0.1", "127.0.0.1"),
    ("tags", [], ["vip", "new"], ["vip", "new"]),
    ("tags", [], "vip,new|old;x", ["vip", "new", "old", "x"]),
]
BAD_VALUES = [
    ("number", [], 4.2),
    ("number", [], "4.2"),
    ("number", [], True),
    ("number", [], 2**64),
    ("float", [], "pi"),
    ("float", [], False),
    ("line", [], 5),
    ("line", [], ["text"]),
    ("line", [], "nul\x00byte"),
    ("date", [], "22.08.2019"),
    ("date", [], "2019-02-30T00:00:00Z"),
    ("date", [], 1566432000),
    ("boolean", [], "yes"),
    ("boolean", [], 1),
    ("enum", ["gold", "silver"], "bronze"),
    ("enum", ["gold", "silver"], "Gold"),
    ("enum", ["gold", "silver"], ["gold"]),
    ("ip", [], "256.1.1.1"),
    ("ip", [], "::1"),
    ("ip", [], 2130706433),
    ("tags", [], ["a,b"]),
    ("tags", [], ["a|b"]),
    ("tags", [], [1, 2]),
    ("tags", [], {"a": 1}),
]


@pytest.mark.parametrize(("field_type", "options", "value", "stored"), GOOD_VALUES)
def test_it_stores_a_good_value_of_each_custom_field_type(
    client, database, field_type, options, value, stored
):
    CustomFieldFactory(database=database, name="value", type=field_type, options=options)
    response = create(client, database, fields={"value": value})
    assert response.status_code == 201, response.json()
    assert response.json()["fields"] == {"value": stored}
    assert Profile.objects.get().custom_values == {"value": stored}


@pytest.mark.parametrize(("field_type", "options", "value"), BAD_VALUES)
def test_it_rejects_a_bad_value_of_each_custom_field_type_naming_the_field(
    client, database, field_type, options, value
):
    CustomFieldFactory(database=database, name="value", type=field_type, options=options)
    response = create(client, database, email="ann@example.com", fields={"value": value})
    assert response.status_code == 400
    assert list(response.json()) == ["fields"]
    assert list(response.json()["fields"]) == ["value"]
    assert not Profile.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize(("field_type", "options", "value"), BAD_VALUES)
def test_it_rejects_a_bad_value_on_update_and_keeps_the_old_one(
    client, database, field_type, options, value
):
    CustomFieldFactory(database=database, name="value", type=field_type, options=options)
    CustomFieldFactory(database=database, name="note", type="line")
    profile = ProfileFactory(database=database, custom_values={"note": "kept"})
    response = client.patch(detail(profile), {"fields": {"value": value}}, format="json")
    assert response.status_code == 400
    assert "value" in response.json()["fields"]
    profile.refresh_from_db()
    assert profile.custom_values == {"note": "kept"}


def test_it_rejects_an_unknown_custom_field(client, database):
    response = create(client, database, fields={"nickname": "Al"})
    assert response.status_code == 400
    assert "nickname" in response.json()["fields"]
    assert not Profile.objects.exists()


def test_unknown_custom_fields_with_an_empty_name_are_each_named(client, database):
    profile = ProfileFactory(database=database)

    response = client.patch(detail(profile), {"fields": {"": 1, "0": 2}}, format="json")

    assert response.status_code == 400
    errors = response.json()["fields"]
    assert "No such field" in errors["0"][0]
    assert "No such field" in errors["non_field_errors"][0]  # the field without a name


def test_it_requires_a_required_custom_field(client, database):
    CustomFieldFactory(database=database, name="plan", type="line", required=True)
    response = create(client, database, email="ann@example.com")
    assert response.status_code == 400
    assert "plan" in response.json()["fields"]
    assert create(client, database, fields={"plan": "gold"}).status_code == 201


# -- Update --------------------------------------------------------------------------------


def test_patch_merges_custom_values(client, database, plan):
    CustomFieldFactory(database=database, name="score", type="number")
    CustomFieldFactory(database=database, name="tags", type="tags")
    profile = ProfileFactory(
        database=database, custom_values={"plan": "gold", "score": 1, "tags": ["a"]}
    )
    response = client.patch(detail(profile), {"fields": {"score": 2, "tags": None}}, format="json")
    assert response.status_code == 200, response.json()
    profile.refresh_from_db()
    assert profile.custom_values == {"plan": "gold", "score": 2}
    assert response.json()["fields"] == {"plan": "gold", "score": 2}


def test_patch_changes_only_the_given_standard_fields(client, database):
    profile = ProfileFactory(database=database, first_name="Ann", last_name="Lee")
    response = client.patch(detail(profile), {"last_name": "Kim"}, format="json")
    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.first_name, profile.last_name) == ("Ann", "Kim")


def test_put_replaces_the_custom_values(client, database, plan):
    CustomFieldFactory(database=database, name="score", type="number")
    profile = ProfileFactory(database=database, custom_values={"plan": "gold", "score": 1})
    data = client.get(detail(profile)).json()
    data["fields"] = {"score": 5}
    data["first_name"] = "Zoe"
    response = client.put(detail(profile), data, format="json")
    assert response.status_code == 200, response.json()
    profile.refresh_from_db()
    assert profile.custom_values == {"score": 5}
    assert profile.first_name == "Zoe"


def test_it_leaves_read_only_fields_unchanged_on_update(client, database):
    profile = ProfileFactory(database=database)
    before = (profile.profile_id, profile.md5, profile.xxh, profile.created_at)
    response = client.patch(
        detail(profile),
        {
            "profile_id": "f" * 24,
            "md5": "0" * 32,
            "xxh": "0" * 16,
            "created_at": "2001-01-01T00:00:00Z",
            "first_name": "New",
        },
        format="json",
    )
    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.profile_id, profile.md5, profile.xxh, profile.created_at) == before
    assert profile.first_name == "New"


def test_it_refuses_to_move_a_profile_to_another_database(client, bob, database):
    other = ProfileDatabaseFactory()
    other.members.add(bob)
    profile = ProfileFactory(database=database)
    response = client.patch(detail(profile), {"database": other.pk}, format="json")
    assert response.status_code == 400
    assert "database" in response.json()
    profile.refresh_from_db()
    assert profile.database == database


def test_a_status_change_is_recorded_and_a_hard_bounce_suppresses_the_address(client, database):
    profile = ProfileFactory(database=database, email="ann@example.com")
    response = client.patch(detail(profile), {"status": "hard_bounced"}, format="json")
    assert response.status_code == 200
    event = profile.events.get(type="status_changed")
    assert event.data["from"] == "subscribed" and event.data["to"] == "hard_bounced"
    assert event.data["source"] == "api"
    assert SuppressedAddress.objects.is_suppressed("ann@example.com")


def test_it_normalises_phones_on_update(client, database):
    profile = ProfileFactory(database=database)
    response = client.patch(detail(profile), {"phones": "+1 202 555 0179"}, format="json")
    assert response.status_code == 200
    assert response.json()["phones"] == ["+12025550179"]
    assert list(Profile.objects.filter(phone_index__number="+12025550179")) == [profile]


def test_bob_may_not_change_without_the_permission(api_client, database):
    viewer = grant(UserFactory(username="vic"), "view_profile")
    database.members.add(viewer)
    profile = ProfileFactory(database=database, first_name="Ann")
    api_client.force_authenticate(viewer)
    assert api_client.get(detail(profile)).status_code == 200
    response = api_client.patch(detail(profile), {"first_name": "X"}, format="json")
    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.first_name == "Ann"


# -- Garbage -------------------------------------------------------------------------------

GARBAGE = [
    ({"phones": 5}, "phones"),
    ({"phones": {"a": 1}}, "phones"),
    ({"phones": [["+12025550179"]]}, "phones"),
    ({"phones": ["12"]}, "phones"),
    ({"phones": None}, "phones"),
    ({"fields": []}, "fields"),
    ({"fields": "plan=gold"}, "fields"),
    ({"fields": 5}, "fields"),
    ({"fields": {"plan": {"nested": [1, {"x": None}]}}}, "fields"),
    ({"fields": {"plan": ["gold"]}}, "fields"),
    ({"status": ["subscribed"]}, "status"),
    ({"status": {"a": 1}}, "status"),
    ({"status": "asleep"}, "status"),
    ({"database": "abc"}, "database"),
    ({"database": [1]}, "database"),
    ({"database": {"id": 1}}, "database"),
    ({"database": True}, "database"),
    ({"database": 10**30}, "database"),
    ({"email": 5}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"email": ["a@example.com"]}, "email"),
    ({"first_name": 5}, "first_name"),
    ({"first_name": {"a": 1}}, "first_name"),
    ({"first_name": "x" * 151}, "first_name"),
    ({"first_name": "nul\x00"}, "first_name"),
    ({"birthday": {}}, "birthday"),
    ({"birthday": "31.12.1990"}, "birthday"),
    ({"birthday": "2999-01-01"}, "birthday"),
    ({"latitude": "north"}, "latitude"),
    ({"latitude": 1000}, "latitude"),
    ({"latitude": [1]}, "latitude"),
    ({"reg_ip": "::1"}, "reg_ip"),
    ({"reg_ip": 5}, "reg_ip"),
    ({"reg_country": "de"}, "reg_country"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"gender": "robot"}, "gender"),
    ({"language": "english!"}, "language"),
    ({"reg_date": "yesterday"}, "reg_date"),
    ({"nickname": "Al"}, "nickname"),
]


@pytest.mark.parametrize(("data", "field"), GARBAGE)
def test_it_answers_garbage_with_a_400_naming_the_field(client, database, plan, data, field):
    response = client.post(URL, {"database": database.pk, **data}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Profile.objects.exists()


@pytest.mark.parametrize(("data", "field"), GARBAGE)
def test_it_answers_garbage_on_update_with_a_400(client, database, plan, data, field):
    profile = ProfileFactory(database=database, first_name="Ann")
    response = client.patch(detail(profile), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    profile.refresh_from_db()
    assert profile.first_name == "Ann"


@pytest.mark.parametrize(
    "body", ["[1, 2]", "42", '"text"', "null", "{", '{"a": NaN}', "[" * 50_000, "\xff"]
)
def test_it_answers_a_body_that_is_not_an_object_with_a_400(client, body):
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert not Profile.objects.exists()


# -- Delete and access ---------------------------------------------------------------------


def test_bob_may_not_delete_a_profile(client, database):
    profile = ProfileFactory(database=database)
    assert client.delete(detail(profile)).status_code == 403
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_alice_deletes_a_profile_with_its_history(api_client, alice, database):
    profile = ProfileFactory(database=database)
    EventFactory.create_batch(3, profile=profile)
    api_client.force_authenticate(alice)
    assert api_client.delete(detail(profile)).status_code == 204
    assert not Profile.objects.filter(pk=profile.pk).exists()
    assert not Event.objects.filter(profile_id=profile.pk).exists()
    assert api_client.get(detail(profile)).status_code == 404


@pytest.fixture
def outsider(database):
    """A marketer with every profile permission, member of another database only."""
    user = grant(UserFactory(username="olga"), *MARKETER_PERMISSIONS, "delete_profile")
    ProfileDatabaseFactory(name="Elsewhere").members.add(user)
    return user


def test_an_outsider_gets_404_for_a_profile_of_another_database(api_client, outsider, database):
    profile = ProfileFactory(database=database, first_name="Ann")
    api_client.force_authenticate(outsider)
    assert api_client.get(detail(profile)).status_code == 404
    assert api_client.patch(detail(profile), {"first_name": "X"}, format="json").status_code == 404
    assert api_client.put(detail(profile), {"first_name": "X"}, format="json").status_code == 404
    assert api_client.delete(detail(profile)).status_code == 404
    assert ids(api_client.get(URL)) == set()
    assert ids(api_client.get(URL, {"md5": profile.md5})) == set()
    profile.refresh_from_db()
    assert profile.first_name == "Ann"


def test_an_unknown_profile_id_is_404(client):
    assert client.get(f"{URL}{'0' * 24}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/api/v1/profiles/", "/api/v1/orders/", "/api/v1/triggers/", "/api/v1/promo-pools/"],
)
def test_a_list_refuses_an_empty_database_parameter_rather_than_listing_every_one(
    api_client, alice, database, path
):
    api_client.force_authenticate(alice)
    response = api_client.get(path, {"database": ""})
    assert response.status_code == 400
    assert "database" in response.json()
    assert api_client.get(path, {"database": database.pk}).status_code == 200
