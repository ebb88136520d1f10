"""The relations API of the contract: relation-types/, profiles/{id}/relations/ (GET, POST)
and profiles/{id}/relations/{id}/ (DELETE)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relations.models import Relation, RelationType
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.relations.factories import RelationFactory, RelationTypeFactory

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/relation-types/"


def relations_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/relations/"


def relation_url(profile, relation):
    return f"/api/v1/profiles/{profile.profile_id}/relations/{relation.pk}/"


# -- Relation types ---------------------------------------------------------------------


def test_it_creates_and_lists_relation_types_of_visible_databases(as_bob, bob, database):
    grant(bob, "add_relationtype")
    RelationTypeFactory(database=ProfileDatabaseFactory(), name="elsewhere")
    response = as_bob.post(TYPES, {"name": "recommended", "database": database.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "recommended" and body["database"] == database.pk
    listed = as_bob.get(TYPES).json()
    assert [row["name"] for row in listed["results"]] == ["recommended"]
    assert "next" in listed


def test_a_type_name_is_unique_per_database(as_alice, liked, database):
    response = as_alice.post(TYPES, {"name": "liked", "database": database.pk}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    other = ProfileDatabaseFactory()
    response = as_alice.post(TYPES, {"name": "liked", "database": other.pk}, format="json")
    assert response.status_code == 201


def test_a_type_cannot_move_to_another_database(as_alice, liked):
    other = ProfileDatabaseFactory()
    response = as_alice.patch(f"{TYPES}{liked.pk}/", {"database": other.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()
    liked.refresh_from_db()
    assert liked.database_id != other.pk


def test_a_type_of_a_database_bob_cannot_see_is_not_found(as_bob):
    hidden = RelationTypeFactory(database=ProfileDatabaseFactory())
    assert as_bob.get(f"{TYPES}{hidden.pk}/").status_code == 404


def test_writing_types_needs_the_permission(as_bob, database):
    response = as_bob.post(TYPES, {"name": "liked", "database": database.pk}, format="json")
    assert response.status_code == 403
    assert not RelationType.objects.exists()


def test_a_type_in_use_is_not_deleted(as_alice, liked, ann, ben):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    response = as_alice.delete(f"{TYPES}{liked.pk}/")
    assert response.status_code == 409
    assert RelationType.objects.filter(pk=liked.pk).exists()


# -- Adding a relation ------------------------------------------------------------------


def test_it_adds_a_relation_with_properties(as_bob, ann, ben, liked):
    body = {"type": liked.pk, "profile_id": ben.profile_id, "properties": {"source": "event"}}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["type"] == liked.pk and data["type_name"] == "liked"
    assert data["profile_id"] == ben.profile_id and data["direction"] == "outgoing"
    assert data["properties"] == {"source": "event"}
    relation = Relation.objects.get()
    assert (relation.from_profile, relation.to_profile) == (ann, ben)
    assert relation.properties == {"source": "event"}


def test_the_type_may_be_named_by_its_name(as_bob, bob, ann, ben, liked):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(bob)
    RelationTypeFactory(database=partners, name="liked")  # the same name elsewhere
    body = {"type": "liked", "profile_id": ben.profile_id, "properties": {"source": "event"}}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["type"] == liked.pk and data["type_name"] == "liked"  # answered by id
    assert Relation.objects.get().type == liked


def test_the_type_may_still_be_its_id_as_text(as_bob, ann, ben, liked):
    body = {"type": str(liked.pk), "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 201 and response.json()["type"] == liked.pk


def test_a_type_named_by_a_number_is_found_by_its_name(as_bob, ann, ben, database):
    numbered = RelationTypeFactory(database=database, name="2024")
    body = {"type": "2024", "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 201 and response.json()["type"] == numbered.pk


@pytest.mark.parametrize("name", ["loved", "Liked"])
def test_an_unknown_type_name_is_a_400_naming_type(as_bob, bob, ann, ben, liked, name):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(bob)
    RelationTypeFactory(database=partners, name="loved")  # not of ann's database
    body = {"type": name, "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == [
        f"No relation type named “{name}” in database “Customers”: give the id or the name of one."
    ]
    assert not Relation.objects.exists()


def test_a_type_name_of_a_hidden_database_is_unknown(as_bob, ann, ben):
    hidden = ProfileDatabaseFactory(name="Secret")
    RelationTypeFactory(database=hidden, name="liked")
    body = {"type": "liked", "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400 and "Secret" not in response.json()["type"][0]


def test_both_profiles_list_the_relation(as_bob, ann, ben, liked):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    mine = as_bob.get(relations_url(ann)).json()["results"]
    theirs = as_bob.get(relations_url(ben)).json()["results"]
    assert [(r["id"], r["profile_id"], r["direction"]) for r in mine] == [
        (relation.pk, ben.profile_id, "outgoing")
    ]
    assert [(r["id"], r["profile_id"], r["direction"]) for r in theirs] == [
        (relation.pk, ann.profile_id, "incoming")
    ]


def test_an_incoming_relation_goes_from_the_other_profile(as_bob, ann, ben, liked):
    body = {"type": liked.pk, "profile_id": ben.profile_id, "direction": "incoming"}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 201 and response.json()["direction"] == "incoming"
    relation = Relation.objects.get()
    assert (relation.from_profile, relation.to_profile) == (ben, ann)


def test_a_profile_is_not_related_to_itself(as_bob, ann, liked):
    body = {"type": liked.pk, "profile_id": ann.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    assert "itself" in response.json()["profile_id"][0]
    assert not Relation.objects.exists()


def test_a_profile_of_another_database_is_refused(as_bob, bob, ann, liked):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(bob)
    stranger = ProfileFactory(database=partners)
    body = {"type": liked.pk, "profile_id": stranger.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    assert "Partners" in response.json()["profile_id"][0]
    assert not Relation.objects.exists()


def test_a_profile_of_a_database_bob_cannot_see_is_unknown(as_bob, ann, liked):
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Secret"))
    body = {"type": liked.pk, "profile_id": hidden.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    message = response.json()["profile_id"][0]
    assert message.startswith("No profile with this profile_id") and "Secret" not in message


def test_an_unknown_profile_id_is_a_400_naming_it(as_bob, ann, liked):
    body = {"type": liked.pk, "profile_id": "0" * 24}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400 and "profile_id" in response.json()


def test_a_type_of_another_database_is_refused(as_bob, bob, ann, ben):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(bob)
    foreign = RelationTypeFactory(database=partners, name="liked")
    body = {"type": foreign.pk, "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400 and "type" in response.json()
    assert not Relation.objects.exists()


def test_the_same_relation_again_is_a_conflict(as_bob, ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    body = {"type": liked.pk, "profile_id": ben.profile_id}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 409
    assert "profile_id" in response.json()
    assert Relation.objects.count() == 1


def test_the_reverse_relation_is_another_one(as_bob, ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    body = {"type": liked.pk, "profile_id": ann.profile_id}
    assert as_bob.post(relations_url(ben), body, format="json").status_code == 201
    assert Relation.objects.count() == 2


@pytest.mark.parametrize(
    ("properties", "why"),
    [
        ("text", "object"),
        ([1, 2], "object"),
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, "nest"),
        ({"note": "x" * 9000}, "bytes"),
    ],
)
def test_bad_properties_are_refused(as_bob, ann, ben, liked, properties, why):
    body = {"type": liked.pk, "profile_id": ben.profile_id, "properties": properties}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    assert why in response.json()["properties"][0]
    assert not Relation.objects.exists()


def test_unknown_keys_and_wrong_types_are_refused(as_bob, ann, ben, liked):
    body = {"type": True, "profile_id": ben.profile_id, "colour": "red"}
    response = as_bob.post(relations_url(ann), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"type", "colour"}


def test_adding_needs_the_permission(api_client, database, ann, ben, liked):
    reader = grant(UserFactory(username="reader"), "view_profile", "view_relation")
    database.members.add(reader)
    api_client.force_authenticate(reader)
    body = {"type": liked.pk, "profile_id": ben.profile_id}
    assert api_client.post(relations_url(ann), body, format="json").status_code == 403
    assert api_client.get(relations_url(ann)).status_code == 200
    assert not Relation.objects.exists()


def test_a_profile_of_a_database_bob_cannot_see_is_not_found(as_bob, liked):
    hidden = ProfileFactory(database=ProfileDatabaseFactory())
    assert as_bob.get(relations_url(hidden)).status_code == 404
    body = {"type": liked.pk, "profile_id": hidden.profile_id}
    assert as_bob.post(relations_url(hidden), body, format="json").status_code == 404


def test_reading_needs_the_relation_permission(api_client, database, ann):
    marketer = grant(UserFactory(username="nosy"), "view_profile")
    database.members.add(marketer)
    api_client.force_authenticate(marketer)
    assert api_client.get(relations_url(ann)).status_code == 403


# -- Removing a relation ----------------------------------------------------------------


@pytest.mark.parametrize("side", ["from_profile", "to_profile"])
def test_it_removes_a_relation_from_either_side(as_bob, side, liked, ann, ben):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    profile = getattr(relation, side)
    assert as_bob.delete(relation_url(profile, relation)).status_code == 204
    assert not Relation.objects.exists()


def test_a_relation_of_other_profiles_is_not_found_under_this_one(as_bob, liked, ann, ben):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    carl = ProfileFactory(database=ann.database)
    assert as_bob.delete(relation_url(carl, relation)).status_code == 404
    assert Relation.objects.filter(pk=relation.pk).exists()


def test_removing_needs_the_permission(api_client, database, liked, ann, ben):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    adder = grant(UserFactory(username="adder"), "view_profile", "view_relation", "add_relation")
    database.members.add(adder)
    api_client.force_authenticate(adder)
    assert api_client.delete(relation_url(ann, relation)).status_code == 403
    assert Relation.objects.filter(pk=relation.pk).exists()


# -- Scale ------------------------------------------------------------------------------


def test_the_list_reads_a_fixed_number_of_queries(as_bob, ann, liked, database):
    for n in range(30):
        other = ProfileFactory(database=database)
        RelationFactory(
            type=liked, from_profile=ann if n % 2 else other, to_profile=other if n % 2 else ann
        )
    with CaptureQueriesContext(connection) as queries:
        response = as_bob.get(relations_url(ann))
    assert response.status_code == 200 and len(response.json()["results"]) == 30
    assert len(queries) <= 8


def test_the_personal_data_export_lists_the_relations_of_both_directions(api_client, bob):
    """A relation has two keys to profiles: the export keeps the ones the profile made and
    the ones made to it, under one label."""
    relation_type = RelationTypeFactory(name="recommended")
    ann = ProfileFactory(database=relation_type.database)
    outgoing = RelationFactory(type=relation_type, from_profile=ann)
    incoming = RelationFactory(type=relation_type, to_profile=ann)
    relation_type.database.members.add(bob)
    api_client.force_authenticate(bob)
    response = api_client.get(f"/api/v1/profiles/{ann.profile_id}/export/")
    assert response.status_code == 200
    rows = response.json()["related"]["relations.relation"]
    assert sorted(row["id"] for row in rows) == sorted([outgoing.pk, incoming.pk])
