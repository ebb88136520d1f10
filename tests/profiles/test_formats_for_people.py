"""Values and forms for people: date custom fields as dates with a date-time picker,
countries and languages by name, field errors without internal prefixes or repeated help,
required fields marked with an asterisk."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import Form
from django.urls import reverse

from core.forms import custom_form_field
from core.names import country_label
from tests.factories import CustomFieldFactory, ProfileFactory
from web.templatetags.field_tags import without_prefix

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-content"}
ASTERISK = '<span class="required-mark" aria-hidden="true">*</span>'


def panel(response):
    """The read-only data tab of a profile page, as (label, value) pairs."""
    html = response.content.decode().split('id="tab-content"')[1].split('id="section"')[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))


def edit_url(profile, tab):
    return reverse("profiles:edit", args=[profile.profile_id]) + f"?tab={tab}"


# -- Dates ----------------------------------------------------------------------------------


def test_a_date_custom_field_is_shown_as_a_date_not_rfc_3339(client, bob, database):
    CustomFieldFactory(database=database, name="joined", label="Joined", type="date")
    CustomFieldFactory(database=database, name="call", label="Last call", type="date")
    profile = ProfileFactory(
        database=database,
        custom_values={"joined": "2019-08-22T00:00:00.000Z", "call": "2024-03-05T10:30:00.000Z"},
    )
    client.force_login(bob)

    shown = panel(client.get(profile.get_absolute_url(), {"tab": "additional"}))

    assert shown["Joined"] == "2019-08-22"
    assert shown["Last call"] == "2024-03-05 10:30"


def test_the_data_section_shows_a_date_custom_field_as_a_date(client, bob, database):
    CustomFieldFactory(database=database, name="joined", label="Joined", type="date")
    profile = ProfileFactory(
        database=database, custom_values={"joined": "2019-08-22T00:00:00.000Z"}
    )
    client.force_login(bob)

    html = client.get(reverse("profiles:data", args=[profile.profile_id])).content.decode()

    assert "<td>2019-08-22</td>" in html and "00:00:00.000Z" not in html


def test_a_date_custom_field_is_edited_with_a_date_time_picker(client, bob, database):
    CustomFieldFactory(database=database, name="joined", label="Joined", type="date")
    profile = ProfileFactory(
        database=database, custom_values={"joined": "2019-08-22T00:00:00.000Z"}
    )
    client.force_login(bob)

    html = client.get(edit_url(profile, "additional"), **HTMX).content.decode()

    field = re.search(r'<input[^>]*name="custom.joined"[^>]*>', html).group(0)
    assert 'type="datetime-local"' in field and 'value="2019-08-22T00:00"' in field
    assert "RFC 3339" not in html


def test_a_picked_date_and_time_is_stored_in_rfc_3339_utc(client, bob, database, settings):
    settings.TIME_ZONE = "Europe/Paris"
    CustomFieldFactory(database=database, name="joined", type="date")
    profile = ProfileFactory(database=database)
    client.force_login(bob)

    client.post(edit_url(profile, "additional"), {"custom.joined": "2019-08-23T09:15"}, **HTMX)

    profile.refresh_from_db()
    assert profile.custom_values == {"joined": "2019-08-23T07:15:00.000Z"}


def test_a_date_typed_in_rfc_3339_is_still_accepted(client, bob, database):
    CustomFieldFactory(database=database, name="joined", type="date")
    profile = ProfileFactory(database=database)
    client.force_login(bob)

    client.post(edit_url(profile, "additional"), {"custom.joined": "2019-08-23"}, **HTMX)

    profile.refresh_from_db()
    assert profile.custom_values == {"joined": "2019-08-23T00:00:00.000Z"}


# -- Countries and languages ----------------------------------------------------------------


def test_countries_and_languages_are_shown_by_name(client, bob, database):
    profile = ProfileFactory(database=database, country="FR", reg_country="DE", language="pt-BR")
    client.force_login(bob)

    tracked = panel(client.get(profile.get_absolute_url(), {"tab": "tracked"}))
    reg = panel(client.get(profile.get_absolute_url(), {"tab": "reg"}))
    personal = panel(client.get(profile.get_absolute_url(), {"tab": "personal"}))

    assert tracked["Country"] == "France (FR)"
    assert reg["Reg Country"] == "Germany (DE)"
    assert personal["Language"] == "Brazilian Portuguese (pt-BR)"


def test_an_unknown_code_is_shown_as_it_is(client, bob, database):
    profile = ProfileFactory(database=database, country="XK", language="tlh")
    client.force_login(bob)

    assert panel(client.get(profile.get_absolute_url(), {"tab": "tracked"}))["Country"] in (
        "XK",
        "Kosovo (XK)",
    )
    assert panel(client.get(profile.get_absolute_url(), {"tab": "personal"}))["Language"] == "tlh"


# -- Errors and required fields -------------------------------------------------------------


def test_an_error_is_shown_without_the_field_name_prefix_or_the_help(client, bob, database):
    profile = ProfileFactory(database=database)
    client.force_login(bob)
    upload = SimpleUploadedFile("me.png", b"not an image", content_type="image/png")

    response = client.post(
        reverse("profiles:avatar_edit", args=[profile.profile_id]),
        {"avatar": upload},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    errors = re.findall(r'<p class="field-error" role="alert">(.*?)</p>', html)
    assert errors == ["Upload a PNG, JPEG, GIF or WebP image. This file is not an image."]
    assert "PNG, JPEG, GIF or WebP, at most" not in html  # the help, said by the error


def test_a_bad_custom_value_shows_the_error_in_place_of_the_help(client, bob, database):
    CustomFieldFactory(database=database, name="visits", type="number")
    profile = ProfileFactory(database=database)
    client.force_login(bob)

    html = client.post(
        edit_url(profile, "additional"), {"custom.visits": "many"}, **HTMX
    ).content.decode()

    assert html.count("e.g. 42 or -7") == 1
    assert '<p class="field-error" role="alert">Enter a whole number, e.g. 42 or -7.</p>' in html


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("custom_values.size: enter a whole number.", "Enter a whole number."),
        ("Shoe size: enter a whole number.", "Enter a whole number."),
        ("size: Enter a whole number.", "Enter a whole number."),
        ("Enter a whole number: 42.", "Enter a whole number: 42."),
    ],
)
def test_an_internal_prefix_is_taken_off_an_error(message, shown):
    class SizeForm(Form):
        pass

    form = SizeForm()
    form.fields["field_size"] = custom_form_field(
        CustomFieldFactory.build(name="size", label="Shoe size", type="number")
    )

    assert without_prefix(message, form["field_size"]) == shown


def test_required_fields_are_marked_with_an_asterisk(client, bob, database):
    CustomFieldFactory(database=database, name="plan", label="Plan", required=True)
    CustomFieldFactory(database=database, name="note", label="Note")
    client.force_login(bob)

    html = client.get(reverse("profiles:create"), {"database": database.pk}).content.decode()

    assert f">Profile database{ASTERISK}</label>" in html
    assert f">Plan{ASTERISK}</label>" in html
    assert ">Note</label>" in html and ">Middle name</label>" in html
    plan = re.search(r'<input[^>]*name="custom.plan"[^>]*>', html).group(0)
    assert 'aria-required="true"' in plan
    assert "Required." not in html  # the asterisk says it


def test_a_field_with_a_lazy_label_shows_its_error(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})

    assert response.status_code == 200
    assert '<p class="field-error" role="alert">This field is required.</p>' in (
        response.content.decode()
    )


def test_countries_go_by_their_usual_names():
    assert country_label("gb") == "United Kingdom (GB)"
    assert country_label("KR") == "South Korea (KR)"
    assert country_label("US") == "United States (US)"


def test_the_form_suggests_countries_and_languages_by_name(client, bob, database):
    profile = ProfileFactory(database=database, country="FR", language="pt-BR")
    client.force_login(bob)

    tracked = client.get(edit_url(profile, "tracked")).content.decode()
    personal = client.get(edit_url(profile, "personal")).content.decode()

    assert re.search(r'<input[^>]*name="country"[^>]*list="id_country-names"', tracked)
    assert '<option value="FR">France</option>' in tracked
    assert '<option value="pt-br">Brazilian Portuguese</option>' in personal
