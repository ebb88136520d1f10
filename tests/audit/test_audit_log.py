import pytest

from audit.context import acting
from audit.models import AuditEntry
from audit.signals import ERASED
from operations.profiles import delete_profile
from tests.factories import CustomFieldFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def entries_for(profile):
    return AuditEntry.objects.filter(profile_id=profile.profile_id).order_by("id")


def test_it_logs_a_created_profile_with_who_and_through_what(alice):
    with acting(alice, "admin"):
        profile = ProfileFactory(first_name="Ann", email="ann@example.com")
    [entry] = entries_for(profile)
    assert entry.action == "create"
    assert entry.actor == alice and entry.actor_name == "alice"
    assert entry.channel == "admin"
    assert entry.object_type == "profiles.Profile"
    assert entry.object_id == profile.profile_id
    assert entry.changes["first_name"] == [None, "Ann"]
    assert entry.changes["email"] == [None, "ann@example.com"]


def test_it_logs_old_and_new_values_of_changed_fields_only():
    profile = ProfileFactory(first_name="Ann", last_name="Lee")
    with acting(None, "api"):
        profile.first_name = "Anna"
        profile.save()
    entry = entries_for(profile).last()
    assert entry.action == "update"
    assert entry.channel == "api"
    assert entry.changes == {"first_name": ["Ann", "Anna"]}


def test_it_logs_each_custom_value_as_its_own_field():
    field = CustomFieldFactory(name="tariff", type="line")
    profile = ProfileFactory(database=field.database, custom_values={"tariff": "basic"})
    profile.custom_values = {"tariff": "pro"}
    profile.save()
    assert entries_for(profile).last().changes == {"fields.tariff": ["basic", "pro"]}


def test_it_writes_nothing_when_nothing_changed():
    profile = ProfileFactory()
    profile.save()
    assert entries_for(profile).count() == 1


def test_it_keeps_the_trail_of_a_deleted_profile_without_personal_values():
    profile = ProfileFactory(first_name="Ann")
    profile.first_name = "Anna"
    profile.save()
    profile_id = profile.profile_id
    delete_profile(profile)
    entries = list(AuditEntry.objects.filter(profile_id=profile_id).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].changes == {"first_name": [ERASED, ERASED]}
    assert all(e.erased for e in entries[:2])
    assert "Ann" not in str([e.changes for e in entries])


def test_an_imported_profile_is_logged_through_the_import(client, alice, database):
    client.force_login(alice)
    response = client.post(
        "/api/v1/profiles/import/",
        {"database": database.pk, "match": "email", "profiles": [{"email": "new@example.com"}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()

    entry = AuditEntry.objects.get(object_type="profiles.Profile")
    assert (entry.action, entry.channel, entry.actor) == ("create", "import", alice)


def test_deleting_a_custom_field_logs_the_values_it_removes(database):
    field = CustomFieldFactory(database=database, name="tariff", type="line")
    holder = ProfileFactory(database=database, custom_values={"tariff": "pro"})
    ProfileFactory(database=database)  # holds no value: nothing to log

    field.delete()

    entry = AuditEntry.objects.filter(object_type="profiles.Profile", action="update").get()
    assert entry.object_id == holder.profile_id
    assert entry.changes == {"fields.tariff": ["pro", None]}


def test_a_bulk_created_profile_is_logged_as_a_saved_one(database):
    """``log_creates`` (imports) logs exactly what a save logs: every value set, whatever
    its type, and none of None, "", [] or {}."""
    from audit.signals import log_creates

    CustomFieldFactory(database=database, name="plan", type="line")
    CustomFieldFactory(database=database, name="visits", type="number")
    CustomFieldFactory(database=database, name="vip", type="boolean")
    profile = ProfileFactory(
        database=database,
        first_name="Ann",
        middle_name="",
        phones=["+14155550123"],
        custom_values={"plan": "pro", "visits": 0, "vip": False},
    )
    [saved] = entries_for(profile)

    log_creates([profile])

    bulk = entries_for(profile).last()
    assert bulk.pk != saved.pk
    assert bulk.changes == saved.changes
    assert bulk.changes["fields.visits"] == [None, 0]
    assert bulk.changes["fields.vip"] == [None, False]
    assert bulk.changes["phones"] == [None, ["+14155550123"]]
    assert "middle_name" not in bulk.changes
