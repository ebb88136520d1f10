"""What the import engine spares for speed without changing a result: new profiles built
from their defaults once per batch, and the emails of a batch matched by email read once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations.imports import Batch, new_profiles
from profiles.models import Profile
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/import/"


def test_new_profiles_hold_what_a_new_profile_holds(database):
    made = new_profiles(database, 2)
    single = Profile(database=database)
    for field in Profile._meta.concrete_fields:
        if field.name != "profile_id":
            assert [p.__dict__[field.attname] for p in made] == [
                single.__dict__[field.attname]
            ] * 2, field.name
    first, second = made
    assert first.profile_id != second.profile_id and len(first.profile_id) == 24
    # Mutable defaults are each profile's own: a change to one leaves the other.
    first.phones.append("+12025550179")
    first.custom_values["plan"] = "gold"
    assert second.phones == [] and second.custom_values == {}
    assert first.database is database and first._state.adding
    assert first._state.db == single._state.db


def test_a_batch_matched_by_email_reads_its_emails_once(api_client, bob, database):
    ProfileFactory(database=database, email="ann@example.com")
    api_client.force_authenticate(bob)
    rows = [{"email": "ANN@example.com", "first_name": "Ann"}, {"email": "bo@example.com"}]
    body = {"database": database.pk, "match": "email", "profiles": rows}
    with CaptureQueriesContext(connection) as queries:
        response = api_client.post(URL, body, format="json")
    statuses = [result["status"] for result in response.json()["results"]]
    assert statuses == ["updated", "created"]
    email_reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and 'FROM "profiles_profile"' in query["sql"]
        and ('"profiles_profile"."email" IN' in query["sql"] or '"email" = ANY(' in query["sql"])
    ]
    assert len(email_reads) == 1, email_reads


def test_an_email_held_by_another_profile_is_still_refused_when_matched_by_phone(
    api_client, bob, database
):
    ProfileFactory(database=database, email="ann@example.com")
    ProfileFactory(database=database, email="bo@example.com", phones=["+12025550111"]).save()
    api_client.force_authenticate(bob)
    rows = [{"phones": ["+12025550111"], "email": "ann@example.com"}]
    body = {"database": database.pk, "match": "phone", "profiles": rows}
    results = api_client.post(URL, body, format="json").json()["results"]
    assert results[0]["status"] == "error"
    assert "ann@example.com" in results[0]["errors"]["email"][0]


def test_an_email_taken_meanwhile_fails_its_row_alone(api_client, bob, database, monkeypatch):
    ProfileFactory(database=database, email="ann@example.com")
    # The batch misses Ann's profile, as if it were written after the batch looked: the
    # database refuses the batch's insert, and the rows are written one by one.
    monkeypatch.setattr(Batch, "_email_owners", lambda self, *args: {})
    api_client.force_authenticate(bob)
    rows = [
        {"email": "bo@example.com"},
        {"email": "ann@example.com"},
        {"email": "cy@example.com", "first_name": "x" * 151},
        {"email": "di@example.com"},
    ]
    body = {"database": database.pk, "match": "phone", "profiles": rows}
    results = api_client.post(URL, body, format="json").json()["results"]
    assert [result["status"] for result in results] == ["created", "error", "error", "created"]
    assert results[1]["errors"] == {
        "email": ["Another profile of database “Customers” has this email."]
    }
    assert list(results[2]["errors"]) == ["first_name"]
    emails = set(Profile.objects.filter(database=database).values_list("email", flat=True))
    assert emails == {"ann@example.com", "bo@example.com", "di@example.com"}
