import pytest

from profiles.models import ProfileDatabase
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/databases/"


def test_it_lists_the_databases_with_their_contract_fields(api_client, bob, database):
    api_client.force_authenticate(bob)
    response = api_client.get(URL)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {"id", "name", "description"} <= set(row)
    assert row["id"] == database.pk and row["name"] == "Customers"


def test_it_lists_only_the_databases_the_user_may_see(api_client, bob, alice, database):
    other = ProfileDatabaseFactory(name="Partners")
    api_client.force_authenticate(bob)
    assert [row["name"] for row in api_client.get(URL).json()["results"]] == ["Customers"]
    assert api_client.get(f"{URL}{other.pk}/").status_code == 404
    api_client.force_authenticate(alice)
    names = {row["name"] for row in api_client.get(URL).json()["results"]}
    assert names == {"Customers", "Partners"}


def test_it_refuses_to_create_a_database_without_the_permission(api_client, bob):
    api_client.force_authenticate(bob)
    response = api_client.post(URL, {"name": "New"}, format="json")
    assert response.status_code == 403
    assert not ProfileDatabase.objects.filter(name="New").exists()


def test_it_makes_the_creator_a_member_of_the_new_database(api_client):
    manager = grant(
        UserFactory(username="dana"), "add_profiledatabase", "view_profiledatabase", "view_profile"
    )
    api_client.force_authenticate(manager)
    response = api_client.post(URL, {"name": "Leads", "description": "From forms"}, format="json")
    assert response.status_code == 201, response.json()
    database = ProfileDatabase.objects.get(name="Leads")
    assert database.description == "From forms"
    assert list(database.members.all()) == [manager]
    assert api_client.get(f"{URL}{database.pk}/").status_code == 200


def test_it_rejects_a_duplicate_name_naming_the_field(api_client, alice, database):
    api_client.force_authenticate(alice)
    response = api_client.post(URL, {"name": "Customers"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_it_rejects_a_name_that_is_not_text(api_client, alice):
    api_client.force_authenticate(alice)
    response = api_client.post(URL, {"name": 42}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert not ProfileDatabase.objects.exists()


def test_it_renames_a_database(api_client, alice, database):
    api_client.force_authenticate(alice)
    response = api_client.patch(f"{URL}{database.pk}/", {"name": "Clients"}, format="json")
    assert response.status_code == 200
    database.refresh_from_db()
    assert database.name == "Clients"


def test_it_refuses_to_delete_a_database_that_holds_profiles(api_client, alice, database):
    ProfileFactory(database=database)
    api_client.force_authenticate(alice)
    response = api_client.delete(f"{URL}{database.pk}/")
    assert response.status_code == 409
    assert "detail" in response.json()
    assert ProfileDatabase.objects.filter(pk=database.pk).exists()


def test_it_deletes_an_empty_database(api_client, alice, database):
    api_client.force_authenticate(alice)
    assert api_client.delete(f"{URL}{database.pk}/").status_code == 204
    assert not ProfileDatabase.objects.filter(pk=database.pk).exists()
