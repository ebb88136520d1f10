"""The segments API of the contract: segments/, segments/{id}/members/ and
segments/{id}/members/{profile_id}/."""

import pytest

from history.models import Event
from segments.models import Segment, SegmentMembership
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(database):
    return Segment.objects.create(name="VIP", database=database)


def members_url(segment):
    return f"/api/v1/segments/{segment.pk}/members/"


def test_it_lists_the_segments_of_the_visible_databases_with_the_contract_names(
    as_bob, segment, database
):
    SegmentMembership.objects.create(segment=segment, profile=ProfileFactory(database=database))
    Segment.objects.create(name="Hidden", database=ProfileDatabaseFactory())

    response = as_bob.get("/api/v1/segments/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {"id": segment.pk, "name": "VIP", "database": database.pk, "members": 1} == {
        key: row[key] for key in ("id", "name", "database", "members")
    }


def test_it_filters_segments_by_database(as_alice, segment):
    other = Segment.objects.create(name="Other", database=ProfileDatabaseFactory())
    response = as_alice.get(f"/api/v1/segments/?database={other.database_id}")
    assert [row["name"] for row in response.json()["results"]] == ["Other"]


def test_it_refuses_anonymous_and_users_without_the_permission(api_client, charlie, segment):
    assert api_client.get("/api/v1/segments/").status_code == 401
    api_client.force_authenticate(charlie)
    assert api_client.get("/api/v1/segments/").status_code == 403
    assert api_client.get(members_url(segment)).status_code == 403


def test_staff_create_a_segment_and_bad_bodies_name_their_field(as_alice, database):
    created = as_alice.post(
        "/api/v1/segments/", {"name": "Winter buyers", "database": database.pk}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["members"] == 0
    assert Segment.objects.get(pk=created.json()["id"]).database == database

    for body, field in [
        ({"database": database.pk}, "name"),
        ({"name": "X"}, "database"),
        ({"name": "X", "database": 999999}, "database"),
        ({"name": "X", "database": database.pk, "colour": "red"}, "colour"),
    ]:
        response = as_alice.post("/api/v1/segments/", body, format="json")
        assert response.status_code == 400 and field in response.json(), body
    assert Segment.objects.count() == 1


def test_a_marketer_may_not_create_segments(as_bob, database):
    response = as_bob.post("/api/v1/segments/", {"name": "X", "database": database.pk})
    assert response.status_code == 403
    assert not Segment.objects.exists()


def test_a_segment_cannot_move_to_another_database(as_alice, segment):
    response = as_alice.patch(
        f"/api/v1/segments/{segment.pk}/",
        {"database": ProfileDatabaseFactory().pk},
        format="json",
    )
    assert response.status_code == 400 and "database" in response.json()


def test_posting_a_profile_id_adds_it_once_and_records_the_entry(as_bob, segment, database):
    profile = ProfileFactory(database=database)

    first = as_bob.post(members_url(segment), {"profile_id": profile.profile_id}, format="json")
    again = as_bob.post(members_url(segment), {"profile_id": profile.profile_id}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["profile_id"] == profile.profile_id
    assert list(segment.profiles.all()) == [profile]
    assert Event.objects.filter(profile=profile, type="segment_entered").count() == 1


@pytest.mark.parametrize("case", ["unknown", "other database", "invisible", "missing"])
def test_a_profile_that_cannot_join_is_a_400_naming_profile_id(as_bob, segment, case, bob):
    visible_elsewhere = ProfileDatabaseFactory()
    visible_elsewhere.members.add(bob)
    body = {
        "unknown": {"profile_id": "0123456789abcdef01234567"},
        "other database": {"profile_id": ProfileFactory(database=visible_elsewhere).profile_id},
        "invisible": {"profile_id": ProfileFactory().profile_id},
        "missing": {},
    }[case]

    response = as_bob.post(members_url(segment), body, format="json")

    assert response.status_code == 400 and "profile_id" in response.json()
    assert not SegmentMembership.objects.exists()


def test_the_members_list_shows_profile_ids_in_constant_queries(
    as_bob, segment, database, django_assert_max_num_queries
):
    profiles = ProfileFactory.create_batch(30, database=database)
    for profile in profiles:
        SegmentMembership.objects.create(segment=segment, profile=profile)

    with django_assert_max_num_queries(6):
        response = as_bob.get(members_url(segment) + "?page_size=20")

    body = response.json()
    assert [row["profile_id"] for row in body["results"]] == [
        p.profile_id for p in reversed(profiles[10:])
    ]
    rest = as_bob.get(body["next"]).json()["results"]
    assert [row["profile_id"] for row in rest] == [p.profile_id for p in reversed(profiles[:10])]


def test_deleting_a_member_takes_it_out_and_records_the_exit(as_bob, segment, database):
    profile = ProfileFactory(database=database)
    SegmentMembership.objects.create(segment=segment, profile=profile)
    url = f"{members_url(segment)}{profile.profile_id}/"

    assert as_bob.delete(url).status_code == 204
    assert not segment.profiles.exists()
    assert Event.objects.filter(profile=profile, type="segment_exited").count() == 1
    assert as_bob.delete(url).status_code == 404


def test_segments_of_other_databases_are_not_found(as_bob, database):
    hidden = Segment.objects.create(name="Hidden", database=ProfileDatabaseFactory())
    profile = ProfileFactory(database=database)
    assert as_bob.get(f"/api/v1/segments/{hidden.pk}/").status_code == 404
    assert as_bob.post(members_url(hidden), {"profile_id": profile.profile_id}).status_code == 404
    assert as_bob.delete(f"{members_url(hidden)}{profile.profile_id}/").status_code == 404


def test_a_marketer_without_the_change_permission_cannot_change_members(
    api_client, segment, database
):
    from tests.factories import UserFactory

    reader = grant(UserFactory(username="reader"), "view_profile", "view_segment")
    database.members.add(reader)
    profile = ProfileFactory(database=database)
    api_client.force_authenticate(reader)
    assert api_client.get(members_url(segment)).status_code == 200
    response = api_client.post(members_url(segment), {"profile_id": profile.profile_id})
    assert response.status_code == 403
    assert not SegmentMembership.objects.exists()
