import json

import pytest

from history.models import Event
from operations.imports import MAX_IMPORT_ROWS
from profiles.models import Profile
from tests.conftest import grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/import/"


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


@pytest.fixture
def plan(database):
    return CustomFieldFactory(
        database=database, name="plan", type="enum", options=["gold", "silver"]
    )


def run(client, database, match, rows, **extra):
    return client.post(
        URL, {"database": database.pk, "match": match, "profiles": rows, **extra}, format="json"
    )


def statuses(response):
    assert response.status_code == 200, response.json()
    return [row["status"] for row in response.json()["results"]]


def test_it_keeps_the_good_rows_and_reports_the_bad_ones_in_order(client, database, plan):
    rows = [
        {"email": "ann@example.com", "fields": {"plan": "gold"}},
        {"email": "bo@example.com", "fields": {"plan": "bronze"}},
        "not an object",
        {"email": "cy@example.com", "phones": ["12"]},
        {"email": "di@example.com", "first_name": "Di"},
        {"email": "ann@example.com", "last_name": "Lee"},
    ]
    response = run(client, database, "email", rows)
    assert statuses(response) == ["created", "error", "error", "error", "created", "updated"]
    results = response.json()["results"]
    assert [row["index"] for row in results] == list(range(6))
    assert set(results[0]) == {"index", "status", "profile_id", "errors"}
    assert results[0]["errors"] == {}
    assert "plan" in results[1]["errors"]["fields"]
    assert results[1]["profile_id"] is None
    assert results[2]["errors"]
    assert "phones" in results[3]["errors"]
    assert results[5]["profile_id"] == results[0]["profile_id"]
    saved = Profile.objects.order_by("email")
    assert [p.email for p in saved] == ["ann@example.com", "di@example.com"]
    ann = saved[0]
    assert (ann.last_name, ann.custom_values) == ("Lee", {"plan": "gold"})
    assert Event.objects.filter(type="import_api").count() == 2


def test_matching_by_email_updates_and_merges_custom_values(client, database, plan):
    CustomFieldFactory(database=database, name="score", type="number")
    ann = ProfileFactory(
        database=database, email="ann@example.com", custom_values={"plan": "gold", "score": 1}
    )
    response = run(
        client, database, "email", [{"email": "ANN@example.com", "fields": {"score": 2}}]
    )
    assert statuses(response) == ["updated"]
    assert response.json()["results"][0]["profile_id"] == ann.profile_id
    ann.refresh_from_db()
    assert ann.custom_values == {"plan": "gold", "score": 2}
    assert not ann.events.filter(type="import_api").exists()


def test_matching_by_email_only_looks_in_the_batch_database(client, bob, database):
    other = ProfileDatabaseFactory()
    other.members.add(bob)
    elsewhere = ProfileFactory(database=other, email="ann@example.com")
    response = run(client, database, "email", [{"email": "ann@example.com"}])
    assert statuses(response) == ["created"]
    assert response.json()["results"][0]["profile_id"] != elsewhere.profile_id
    assert Profile.objects.filter(email="ann@example.com").count() == 2


def test_matching_by_phone_finds_the_profile_in_any_format(client, database):
    ann = ProfileFactory(database=database, phones=["+12025550179"])
    ann.save()
    response = run(
        client,
        database,
        "phone",
        [
            {"phones": ["+1 (202) 555-0179"], "first_name": "Ann"},
            {"phones": ["+442079460958"], "first_name": "Bo"},
        ],
    )
    assert statuses(response) == ["updated", "created"]
    ann.refresh_from_db()
    assert ann.first_name == "Ann"
    assert Profile.objects.get(first_name="Bo").phones == ["+442079460958"]


def test_matching_by_phone_refuses_to_choose_between_two_profiles(client, database):
    ProfileFactory(database=database, phones=["+12025550179"], first_name="A")
    ProfileFactory(database=database, phones=["+442079460958"], first_name="B")
    response = run(
        client,
        database,
        "phone",
        [{"phones": ["+12025550179", "+442079460958"], "first_name": "C"}],
    )
    assert statuses(response) == ["error"]
    assert "phones" in response.json()["results"][0]["errors"]
    assert not Profile.objects.filter(first_name="C").exists()


def test_matching_by_profile_id_updates_and_reports_unknown_ids(client, database):
    ann = ProfileFactory(database=database, first_name="Ann")
    response = run(
        client,
        database,
        "profile_id",
        [
            {"profile_id": ann.profile_id, "first_name": "Anne"},
            {"profile_id": "0" * 24, "first_name": "Ghost"},
            {"first_name": "New"},
            {"profile_id": 5},
        ],
    )
    assert statuses(response) == ["updated", "error", "created", "error"]
    results = response.json()["results"]
    assert "profile_id" in results[1]["errors"]
    assert "profile_id" in results[3]["errors"]
    ann.refresh_from_db()
    assert ann.first_name == "Anne"
    assert not Profile.objects.filter(first_name="Ghost").exists()
    assert Profile.objects.filter(first_name="New").exists()


def test_matching_by_profile_id_ignores_profiles_of_other_databases(client, bob, database):
    other = ProfileDatabaseFactory()
    other.members.add(bob)
    elsewhere = ProfileFactory(database=other, first_name="Else")
    response = run(client, database, "profile_id", [{"profile_id": elsewhere.profile_id}])
    assert statuses(response) == ["error"]
    elsewhere.refresh_from_db()
    assert elsewhere.first_name == "Else"


@pytest.mark.parametrize(
    ("field_type", "stored", "sent"),
    [
        ("line", "CRM-1", "CRM-1"),
        ("number", 1001, "1001"),
        ("boolean", True, "true"),
        ("date", "2019-08-22T00:00:00.000Z", "2019-08-22T00:00:00Z"),
        ("ip", "10.0.0.1", "10.0.0.1"),
        ("float", 1.5, 1.5),
    ],
)
def test_matching_by_a_custom_field_compares_cleaned_values(
    client, database, field_type, stored, sent
):
    CustomFieldFactory(database=database, name="ext", type=field_type)
    ann = ProfileFactory(database=database, custom_values={"ext": stored})
    response = run(
        client, database, "field:ext", [{"fields": {"ext": sent}, "first_name": "Matched"}]
    )
    assert statuses(response) == ["updated"]
    ann.refresh_from_db()
    assert ann.first_name == "Matched"
    assert ann.custom_values == {"ext": stored}


def test_matching_by_a_custom_field_creates_when_nothing_matches(client, database):
    CustomFieldFactory(database=database, name="crm_id", type="line")
    ProfileFactory(database=database, custom_values={"crm_id": "A"})
    response = run(
        client,
        database,
        "field:crm_id",
        [{"fields": {"crm_id": "B"}}, {"fields": {"crm_id": 5}}, {"first_name": "No key"}],
    )
    assert statuses(response) == ["created", "error", "created"]
    assert "crm_id" in response.json()["results"][1]["errors"]["fields"]
    assert Profile.objects.filter(custom_values__crm_id="B").count() == 1


def test_matching_by_a_custom_field_refuses_to_choose_between_two_profiles(client, database):
    CustomFieldFactory(database=database, name="crm_id", type="line")
    ProfileFactory.create_batch(2, database=database, custom_values={"crm_id": "A"})
    response = run(client, database, "field:crm_id", [{"fields": {"crm_id": "A"}}])
    assert statuses(response) == ["error"]
    assert "crm_id" in response.json()["results"][0]["errors"]["fields"]


@pytest.mark.parametrize(
    "match", ["name", "", "field:", "field:unknown", "field:labels", "Email", 5, None, ["email"]]
)
def test_it_rejects_a_bad_match_naming_it(client, database, match):
    CustomFieldFactory(database=database, name="labels", type="tags")
    response = run(client, database, match, [{"email": "ann@example.com"}])
    assert response.status_code == 400
    assert "match" in response.json()
    assert not Profile.objects.exists()


DB = object()  # stands for the database fixture's id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"match": "email", "profiles": [{}]}, "database"),
        ({"database": "x", "match": "email", "profiles": [{}]}, "database"),
        ({"database": DB, "match": "email"}, "profiles"),
        ({"database": DB, "match": "email", "profiles": []}, "profiles"),
        ({"database": DB, "match": "email", "profiles": {"email": "a@example.com"}}, "profiles"),
        ({"database": DB, "match": "email", "profiles": "a@example.com"}, "profiles"),
        ({"database": DB, "profiles": [{}]}, "match"),
        (
            {"database": DB, "match": "email", "profiles": [{}], "detect_location": "perhaps"},
            "detect_location",
        ),
        ({"database": DB, "match": "email", "profiles": [{}], "mode": "merge"}, "mode"),
        # One vocabulary for booleans wherever text carries one: true and false.
        (
            {"database": DB, "match": "email", "profiles": [{}], "detect_location": "yes"},
            "detect_location",
        ),
    ],
)
def test_it_rejects_a_bad_envelope_naming_the_field(client, database, body, field):
    body = {key: database.pk if value is DB else value for key, value in body.items()}
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Profile.objects.exists()


def test_it_rejects_a_body_that_is_not_an_object(client):
    response = client.post(URL, [{"email": "a@example.com"}], format="json")
    assert response.status_code == 400
    assert not Profile.objects.exists()


def test_it_refuses_more_rows_than_the_batch_maximum(client, database):
    rows = [{"first_name": "X"}] * (MAX_IMPORT_ROWS + 1)
    response = run(client, database, "email", rows)
    assert response.status_code == 400
    assert "profiles" in response.json()
    assert not Profile.objects.exists()


def test_it_accepts_a_full_batch(client, database):
    rows = [{"email": f"p{i}@example.com"} for i in range(MAX_IMPORT_ROWS)]
    response = run(client, database, "email", rows)
    assert statuses(response) == ["created"] * MAX_IMPORT_ROWS
    assert database.profiles.count() == MAX_IMPORT_ROWS


def test_it_refuses_a_database_the_user_may_not_see(client):
    hidden = ProfileDatabaseFactory()
    response = run(client, hidden, "email", [{"email": "a@example.com"}])
    assert response.status_code == 400
    assert "database" in response.json()
    assert not Profile.objects.exists()


def test_a_row_cannot_name_another_database(client, bob, database):
    other = ProfileDatabaseFactory()
    other.members.add(bob)
    response = run(client, database, "email", [{"email": "a@example.com", "database": other.pk}])
    assert statuses(response) == ["error"]
    assert "database" in response.json()["results"][0]["errors"]
    assert not Profile.objects.exists()


def test_a_row_email_taken_by_another_matched_profile_is_an_error(client, database):
    ProfileFactory(database=database, email="ann@example.com", phones=["+12025550179"])
    ProfileFactory(database=database, email="bo@example.com", phones=["+442079460958"])
    response = run(
        client, database, "phone", [{"phones": ["+442079460958"], "email": "ann@example.com"}]
    )
    assert statuses(response) == ["error"]
    assert "email" in response.json()["results"][0]["errors"]


def test_it_detects_locations_unless_told_not_to(client, database):
    response = run(client, database, "email", [{"email": "a@example.com", "reg_ip": "8.8.8.8"}])
    assert statuses(response) == ["created"]
    assert Profile.objects.get(email="a@example.com").reg_country == "US"
    response = run(
        client,
        database,
        "email",
        [{"email": "b@example.com", "reg_ip": "8.8.8.8"}],
        detect_location=False,
    )
    assert statuses(response) == ["created"]
    assert Profile.objects.get(email="b@example.com").reg_country == ""


def test_it_needs_the_add_and_change_permissions(api_client, database):
    adder = grant(UserFactory(username="adam"), "view_profile", "add_profile")
    database.members.add(adder)
    api_client.force_authenticate(adder)
    response = run(api_client, database, "email", [{"email": "a@example.com"}])
    assert response.status_code == 403
    assert not Profile.objects.exists()


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


BEYOND_64_BITS = 99999999999999999999999
INT64_MESSAGE = "Enter a whole number between -2^63 and 2^63-1."


INFINITE = "__1e400__"  # sent as the number 1e400, which overflows to infinity


def post_raw(client, body):
    text = json.dumps(body).replace(f'"{INFINITE}"', "1e400")
    return client.post(URL, text, content_type="application/json")


@pytest.mark.parametrize(
    "bad_row, errors",
    [
        (
            {"email": "n@example.com", "fields": {"score": BEYOND_64_BITS}},
            {"fields": {"score": [INT64_MESSAGE]}},
        ),
        (
            {"email": "n@example.com", "first_name": "N\x00"},
            {"first_name": ["Text must not contain NUL characters."]},
        ),
        (
            {"email": "n@example.com", "last_name": "\ud800"},
            {"last_name": ["Text must be valid Unicode."]},
        ),
        (
            {"email": "n@example.com", "latitude": INFINITE},
            {"latitude": ["Enter a finite number."]},
        ),
        ("\x00", {"non_field_errors": ["Text must not contain NUL characters."]}),
        (None, {"non_field_errors": ["Enter an object."]}),
    ],
    ids=["number beyond 64 bits", "NUL", "lone surrogate", "infinity", "row of text", "null"],
)
def test_a_row_the_parser_refuses_is_that_rows_error_and_the_others_are_kept(
    client, database, bad_row, errors
):
    CustomFieldFactory(database=database, name="score", type="number")
    rows = [{"email": "good1@example.com"}, bad_row, {"email": "good2@example.com"}]
    response = post_raw(client, {"database": database.pk, "match": "email", "profiles": rows})
    assert statuses(response) == ["created", "error", "created"]
    results = response.json()["results"]
    assert [row["index"] for row in results] == [0, 1, 2]
    assert results[1] == {"index": 1, "status": "error", "profile_id": None, "errors": errors}
    saved = Profile.objects.order_by("email").values_list("email", flat=True)
    assert list(saved) == ["good1@example.com", "good2@example.com"]


def test_a_value_the_parser_refuses_outside_the_rows_refuses_the_request(client, database):
    body = {
        "database": database.pk,
        "match": "email\x00",
        "profiles": [{"email": "good1@example.com"}, {"email": "n@example.com", "city": "\x00"}],
    }
    response = post_raw(client, body)
    assert response.status_code == 400
    assert response.json() == {
        "match": ["Text must not contain NUL characters."],
        "profiles": {"1": {"city": ["Text must not contain NUL characters."]}},
    }
    assert not Profile.objects.exists()
