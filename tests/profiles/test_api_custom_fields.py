import pytest

from profiles.models import CustomField
from tests.conftest import grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/custom-fields/"


@pytest.fixture
def client(api_client, alice, database):
    api_client.force_authenticate(alice)
    return api_client


def create(client, **data):
    return client.post(URL, data, format="json")


def test_it_lists_custom_fields_with_their_contract_fields(api_client, bob, database):
    CustomFieldFactory(database=database, name="plan", type="enum", options=["gold", "silver"])
    api_client.force_authenticate(bob)
    response = api_client.get(URL)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {"id", "database", "name", "type", "options"} <= set(row)
    assert row["database"] == database.pk
    assert row["type"] == "enum"
    assert row["options"] == ["gold", "silver"]


def test_it_filters_by_database_and_hides_other_databases(api_client, bob, database):
    CustomFieldFactory(database=database, name="plan")
    hidden = CustomFieldFactory(database=ProfileDatabaseFactory(), name="secret")
    api_client.force_authenticate(bob)
    names = [row["name"] for row in api_client.get(URL).json()["results"]]
    assert names == ["plan"]
    filtered = api_client.get(URL, {"database": database.pk}).json()["results"]
    assert [row["name"] for row in filtered] == ["plan"]
    assert api_client.get(f"{URL}{hidden.pk}/").status_code == 404
    response = api_client.get(URL, {"database": hidden.database_id})
    assert response.status_code == 400
    assert "database" in response.json()


@pytest.mark.parametrize("field_type", ["number", "float", "line", "date", "boolean", "ip", "tags"])
def test_it_creates_a_field_of_each_type(client, database, field_type):
    response = create(client, database=database.pk, name=f"f_{field_type}", type=field_type)
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == field_type
    assert CustomField.objects.get(name=f"f_{field_type}").type == field_type


def test_it_accepts_enum_options_as_one_comma_separated_line(client, database):
    response = create(
        client, database=database.pk, name="plan", type="enum", options="gold, silver"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["options"] == ["gold", "silver"]
    assert CustomField.objects.get(name="plan").options == ["gold", "silver"]


def test_it_accepts_enum_options_as_a_list(client, database):
    response = create(client, database=database.pk, name="plan", type="enum", options=["a", "b"])
    assert response.status_code == 201
    assert response.json()["options"] == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "plan", "type": "enum"}, "options"),
        ({"name": "plan", "type": "enum", "options": ""}, "options"),
        ({"name": "plan", "type": "enum", "options": [1, 2]}, "options"),
        ({"name": "plan", "type": "enum", "options": {"a": 1}}, "options"),
        ({"name": "plan", "type": "line", "options": ["a"]}, "options"),
        ({"name": "plan", "type": "colour"}, "type"),
        ({"name": "plan", "type": ["line"]}, "type"),
        ({"name": "1plan", "type": "line"}, "name"),
        ({"name": "tariff plan", "type": "line"}, "name"),
        ({"name": 5, "type": "line"}, "name"),
        ({"name": "plan", "type": "line", "required": "maybe"}, "required"),
        ({"name": "plan", "type": "line", "colour": "red"}, "colour"),
    ],
)
def test_it_rejects_a_bad_definition_naming_the_field(client, database, data, field):
    response = create(client, database=database.pk, **data)
    assert response.status_code == 400
    assert field in response.json()
    assert not CustomField.objects.exists()


def test_it_rejects_a_second_field_of_the_same_name_in_a_database(client, database):
    CustomFieldFactory(database=database, name="plan")
    response = create(client, database=database.pk, name="plan", type="line")
    assert response.status_code == 400
    assert "name" in response.json()
    other = ProfileDatabaseFactory()
    assert create(client, database=other.pk, name="plan", type="line").status_code == 201


def test_it_refuses_a_database_the_user_may_not_see(api_client, bob):
    hidden = ProfileDatabaseFactory()
    grant(bob, "add_customfield")
    api_client.force_authenticate(bob)
    response = create(api_client, database=hidden.pk, name="plan", type="line")
    assert response.status_code == 400
    assert "database" in response.json()
    assert not CustomField.objects.exists()


def test_bob_may_not_define_fields_without_the_permission(api_client, bob, database):
    api_client.force_authenticate(bob)
    response = create(api_client, database=database.pk, name="plan", type="line")
    assert response.status_code == 403
    assert not CustomField.objects.exists()


def test_it_refuses_to_change_the_type_of_a_field_holding_values(client, database):
    field = CustomFieldFactory(database=database, name="plan", type="line")
    ProfileFactory(database=database, custom_values={"plan": "gold"})
    response = client.patch(f"{URL}{field.pk}/", {"type": "number"}, format="json")
    assert response.status_code == 400
    assert "type" in response.json()
    field.refresh_from_db()
    assert field.type == "line"


def test_it_refuses_to_rename_a_field_holding_values(client, database):
    field = CustomFieldFactory(database=database, name="plan", type="line")
    ProfileFactory(database=database, custom_values={"plan": "gold"})
    response = client.patch(f"{URL}{field.pk}/", {"name": "tariff"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_it_changes_the_type_of_an_unused_field(client, database):
    field = CustomFieldFactory(database=database, name="plan", type="line")
    response = client.patch(
        f"{URL}{field.pk}/", {"type": "enum", "options": "a,b", "label": "Plan"}, format="json"
    )
    assert response.status_code == 200, response.json()
    field.refresh_from_db()
    assert (field.type, field.options, field.label) == ("enum", ["a", "b"], "Plan")


def test_it_refuses_to_remove_an_enum_option_in_use(client, database):
    field = CustomFieldFactory(database=database, name="plan", type="enum", options=["a", "b"])
    ProfileFactory(database=database, custom_values={"plan": "a"})
    response = client.patch(f"{URL}{field.pk}/", {"options": ["b", "c"]}, format="json")
    assert response.status_code == 400
    assert "options" in response.json()
    response = client.patch(f"{URL}{field.pk}/", {"options": ["a", "c"]}, format="json")
    assert response.status_code == 200
    field.refresh_from_db()
    assert field.options == ["a", "c"]


def test_it_refuses_to_move_a_field_to_another_database(client, database):
    field = CustomFieldFactory(database=database, name="plan")
    other = ProfileDatabaseFactory()
    response = client.patch(f"{URL}{field.pk}/", {"database": other.pk}, format="json")
    assert response.status_code == 400
    assert "database" in response.json()
    field.refresh_from_db()
    assert field.database == database


def test_deleting_a_field_removes_its_values_from_profiles(client, database):
    field = CustomFieldFactory(database=database, name="plan", type="line")
    CustomFieldFactory(database=database, name="city_code", type="line")
    profile = ProfileFactory(database=database, custom_values={"plan": "gold", "city_code": "B"})
    assert client.delete(f"{URL}{field.pk}/").status_code == 204
    profile.refresh_from_db()
    assert profile.custom_values == {"city_code": "B"}
    assert not CustomField.objects.filter(pk=field.pk).exists()
