"""The "Add profile" page."""

import pytest
from django.urls import reverse

from history.models import Event
from profiles.models import Profile
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory

pytestmark = pytest.mark.django_db
URL = reverse("profiles:create")


def test_it_creates_a_profile_and_records_a_manual_import(client, bob, database):
    CustomFieldFactory(database=database, name="score", type="number")
    client.force_login(bob)
    response = client.post(
        URL,
        {
            "database": database.pk,
            "email": "Ada@Example.com",
            "phones": "+1 202 555 0179",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "status": "unconfirmed",
            "custom.score": "12",
        },
    )
    profile = Profile.objects.get()
    assert response.status_code == 302 and response["Location"] == profile.get_absolute_url()
    assert (profile.email, profile.phones, profile.status) == (
        "ada@example.com",
        ["+12025550179"],
        "unconfirmed",
    )
    assert profile.custom_values == {"score": 12}
    assert Event.objects.get(profile=profile).type == "import_manual"


def test_it_shows_the_custom_fields_of_the_chosen_database(client, bob, database):
    CustomFieldFactory(database=database, name="score", label="Loyalty score")
    client.force_login(bob)
    response = client.get(URL, {"database": database.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "Loyalty score" in html
    assert 'name="email"' not in html  # what was typed there stays as it is


def test_it_names_the_bad_fields_and_saves_nothing(client, bob, database):
    CustomFieldFactory(database=database, name="score", type="number")
    ProfileFactory(database=database, email="taken@example.com")
    client.force_login(bob)
    response = client.post(
        URL,
        {
            "database": database.pk,
            "email": "taken@example.com",
            "status": "subscribed",
            "custom.score": "many",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "taken@example.com" in errors["email"][0]
    assert errors["custom.score"] == ["Enter a whole number, e.g. 42 or -7."]
    assert Profile.objects.count() == 1


def test_it_offers_only_the_users_databases(client, bob, database):
    foreign = ProfileDatabaseFactory(name="Partners")
    client.force_login(bob)
    assert "Partners" not in client.get(URL).content.decode()
    response = client.post(URL, {"database": foreign.pk, "status": "subscribed"})
    assert "Select a valid choice" in response.context["form"].errors["database"][0]
    assert not Profile.objects.exists()


def test_it_refuses_a_user_without_the_add_permission(client, charlie):
    client.force_login(charlie)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {}).status_code == 403


def test_it_rejects_other_methods(client, bob):
    client.force_login(bob)
    assert client.delete(URL).status_code == 405
