"""Editing one data tab: its form, per-field errors, saving, permissions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from tests.factories import CustomFieldFactory, ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ada", last_name="Lovelace")


def edit_url(profile, tab):
    return reverse("profiles:edit", args=[profile.profile_id]) + f"?tab={tab}"


def htmx(target="tab-content", page=""):
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}
    if page:
        headers["HTTP_HX_CURRENT_URL"] = f"http://testserver{page}"
    return headers


def test_it_shows_the_form_of_exactly_the_tabs_fields(client, bob, profile):
    client.force_login(bob)
    response = client.get(edit_url(profile, "personal"), **htmx())
    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.fields) == {
        "first_name",
        "middle_name",
        "last_name",
        "gender",
        "birthday",
        "language",
    }
    html = response.content.decode()
    assert "<html" not in html and 'value="Ada"' in html and "Edit Personal" in html


def test_it_shows_the_form_as_a_full_page_without_htmx(client, bob, profile):
    client.force_login(bob)
    html = client.get(edit_url(profile, "contact")).content.decode()
    assert "<html" in html and 'name="email"' in html and 'name="phones"' in html


def test_it_saves_a_valid_tab_and_answers_with_the_read_only_tab(client, bob, profile):
    client.force_login(bob)
    data = {
        "first_name": "Augusta",
        "middle_name": "Ada",
        "last_name": "King",
        "gender": "female",
        "birthday": "1815-12-10",
        "language": "en",
    }
    page = profile.get_absolute_url() + "?tab=personal"
    response = client.post(edit_url(profile, "personal"), data, **htmx(page=page))
    html = response.content.decode()
    assert response.status_code == 200
    tab = html.split('id="profile-header"', 1)[0]  # the header follows, out of band
    assert "<h2>Personal</h2>" in tab and "Augusta" in tab and "<form" not in tab
    assert "<h1>Augusta Ada King</h1>" in html and "Personal saved." in html
    profile.refresh_from_db()
    assert (profile.first_name, profile.last_name, str(profile.birthday)) == (
        "Augusta",
        "King",
        "1815-12-10",
    )


def test_a_birthday_in_the_future_is_an_error_beside_it_and_saves_nothing(client, bob, profile):
    client.force_login(bob)
    tomorrow_everywhere = (timezone.now() + timedelta(days=2)).date().isoformat()
    data = {"first_name": "Ann", "birthday": tomorrow_everywhere, "gender": "", "language": ""}
    response = client.post(edit_url(profile, "personal"), data, **htmx())
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["birthday"] == ["Enter a date that is not in the future."]
    profile.refresh_from_db()
    assert profile.birthday is None and profile.first_name != "Ann"


def test_it_redirects_back_to_the_tab_without_htmx(client, bob, profile):
    client.force_login(bob)
    response = client.post(edit_url(profile, "contact"), {"email": "ada@example.org", "phones": ""})
    assert response.status_code == 302
    assert response["Location"] == profile.get_absolute_url() + "?tab=contact"


def test_it_normalises_phones_typed_as_one_text(client, bob, profile):
    client.force_login(bob)
    data = {"email": profile.email, "phones": "+1 202 555 0179,\n+44 20 7946 0958"}
    client.post(edit_url(profile, "contact"), data, **htmx())
    profile.refresh_from_db()
    assert profile.phones == ["+12025550179", "+442079460958"]
    assert sorted(profile.phone_index.values_list("number", flat=True)) == sorted(profile.phones)


def test_it_shows_a_bad_phone_on_its_field_and_saves_nothing(client, bob, profile):
    client.force_login(bob)
    response = client.post(
        edit_url(profile, "contact"), {"email": "new@example.com", "phones": "12"}, **htmx()
    )
    assert response.status_code == 200
    assert "international format" in response.context["form"].errors["phones"][0]
    profile.refresh_from_db()
    assert profile.email != "new@example.com"


def test_it_names_the_custom_field_with_a_bad_value_and_saves_nothing(client, bob, database):
    CustomFieldFactory(database=database, name="score", type="number")
    CustomFieldFactory(database=database, name="visits", type="number")
    profile = ProfileFactory(database=database, custom_values={"score": 1, "visits": 2})
    client.force_login(bob)
    response = client.post(
        edit_url(profile, "additional"), {"custom.score": "7", "custom.visits": "1.5"}, **htmx()
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["custom.visits"] == [
        "Enter a whole number, e.g. 42 or -7."
    ]
    assert "Enter a whole number" in html and 'value="1.5"' in html
    profile.refresh_from_db()
    assert profile.custom_values == {"score": 1, "visits": 2}


@pytest.mark.parametrize(
    ("field_type", "options", "typed", "stored"),
    [
        ("number", [], "-7", -7),
        ("float", [], "3.5", 3.5),
        ("boolean", [], "true", True),
        ("enum", ["gold", "silver"], "silver", "silver"),
        ("ip", [], "127.0.0.1", "127.0.0.1"),
        ("tags", [], "a; b|c", ["a", "b", "c"]),
        ("date", [], "2019-08-22", "2019-08-22T00:00:00.000Z"),
        ("line", [], "  hello  ", "  hello  "),
    ],
)
def test_it_stores_each_custom_type_through_its_validator(
    client, bob, database, field_type, options, typed, stored
):
    CustomFieldFactory(database=database, name="value", type=field_type, options=options)
    profile = ProfileFactory(database=database)
    client.force_login(bob)
    response = client.post(edit_url(profile, "additional"), {"custom.value": typed}, **htmx())
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.custom_values == {"value": stored}


def test_it_empties_a_custom_value_left_blank(client, bob, database):
    CustomFieldFactory(database=database, name="plan")
    profile = ProfileFactory(database=database, custom_values={"plan": "gold"})
    client.force_login(bob)
    client.post(edit_url(profile, "additional"), {"custom.plan": ""}, **htmx())
    profile.refresh_from_db()
    assert profile.custom_values == {}


def test_it_requires_a_required_custom_field(client, bob, database):
    CustomFieldFactory(database=database, name="plan", required=True)
    profile = ProfileFactory(database=database, custom_values={"plan": "gold"})
    client.force_login(bob)
    response = client.post(edit_url(profile, "additional"), {"custom.plan": ""}, **htmx())
    assert response.context["form"].errors["custom.plan"] == ["This field is required."]
    profile.refresh_from_db()
    assert profile.custom_values == {"plan": "gold"}


def test_it_rejects_an_email_another_profile_of_the_database_has(client, bob, database, profile):
    ProfileFactory(database=database, email="taken@example.com")
    client.force_login(bob)
    response = client.post(
        edit_url(profile, "contact"), {"email": "TAKEN@example.com", "phones": ""}, **htmx()
    )
    assert "has the email taken@example.com" in response.context["form"].errors["email"][0]


def test_it_records_a_status_change_made_on_a_tab(client, bob, database, profile):
    database.set_tab_fields("contact", ["email", "status"])
    client.force_login(bob)
    client.post(
        edit_url(profile, "contact"), {"email": profile.email, "status": "suspended"}, **htmx()
    )
    profile.refresh_from_db()
    assert profile.status == "suspended"
    event = Event.objects.get(profile=profile, type="status_changed")
    assert event.data == {"from": "subscribed", "to": "suspended", "source": "manual"}


def test_it_answers_404_for_an_unknown_tab(client, bob, profile):
    client.force_login(bob)
    assert client.get(edit_url(profile, "nope")).status_code == 404


def test_it_rejects_other_methods(client, bob, profile):
    client.force_login(bob)
    assert client.put(edit_url(profile, "main")).status_code == 405


def test_it_refuses_a_reader_and_hides_other_databases(client, charlie, bob, profile):
    client.force_login(charlie)
    assert client.post(edit_url(profile, "personal"), {"first_name": "X"}).status_code == 403
    stranger = ProfileFactory()
    client.force_login(bob)
    assert client.post(edit_url(stranger, "personal"), {"first_name": "X"}).status_code == 404
    profile.refresh_from_db()
    stranger.refresh_from_db()
    assert "X" not in (profile.first_name, stranger.first_name)
