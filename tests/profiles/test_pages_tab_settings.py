"""The cog: default tab, fields shown on a tab, custom tabs; persisted per database."""

import pytest
from django.urls import reverse

from tests.factories import CustomFieldFactory, ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ada")


def url(profile, name, tab=None):
    return reverse(f"profiles:{name}", args=[profile.profile_id]) + (f"?tab={tab}" if tab else "")


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-content"}


def test_it_shows_the_settings_of_the_tab(client, bob, profile, database):
    CustomFieldFactory(database=database, name="plan", label="Tariff plan")
    client.force_login(bob)
    response = client.get(url(profile, "tab_settings", "personal"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Fields shown on “Personal”" in html and "Tariff plan" in html
    assert 'value="first_name" id="id_fields_0"' in html or 'value="first_name"' in html


def test_it_chooses_the_fields_a_tab_shows_for_the_whole_database(client, bob, profile, database):
    client.force_login(bob)
    response = client.post(
        url(profile, "tab_fields", "personal"), {"fields": ["last_name", "first_name"]}, **HTMX
    )
    assert response.status_code == 200
    assert "<h2>Personal</h2>" in response.content.decode()
    database.refresh_from_db()
    assert database.get_tab("personal").fields == ["last_name", "first_name"]
    other = ProfileFactory(database=database)
    html = client.get(other.get_absolute_url(), {"tab": "personal"}).content.decode()
    assert "Birthday" not in html.split('id="tab-content"')[1].split('id="section"')[0]


def test_it_rejects_an_unknown_field(client, bob, profile, database):
    client.force_login(bob)
    response = client.post(url(profile, "tab_fields", "main"), {"fields": ["password"]}, **HTMX)
    assert response.status_code == 200
    assert "password is not one of the available choices" in response.content.decode()
    database.refresh_from_db()
    assert database.tab_fields == {}


def test_it_chooses_the_default_tab(client, bob, profile, database):
    client.force_login(bob)
    client.post(url(profile, "tab_default", "main"), {"default_tab": "tracked"}, **HTMX)
    database.refresh_from_db()
    assert database.default_tab == "tracked"
    assert client.get(profile.get_absolute_url()).context["tab"].slug == "tracked"


def test_it_creates_a_custom_tab_and_opens_it(client, bob, profile, database):
    client.force_login(bob)
    response = client.post(
        url(profile, "tab_new", "main"),
        {"label": "Marketing", "fields": ["utm_source", "utm_campaign"]},
        HTTP_HX_CURRENT_URL=f"http://testserver{profile.get_absolute_url()}?tab=main",
        **HTMX,
    )
    html = response.content.decode()
    assert "<h2>Marketing</h2>" in html and "UTM campaign" in html
    assert response["HX-Push-Url"] == f"{profile.get_absolute_url()}?tab=tab-marketing"
    database.refresh_from_db()
    assert database.custom_tabs == [
        {"slug": "tab-marketing", "label": "Marketing", "fields": ["utm_source", "utm_campaign"]}
    ]


def test_it_asks_for_a_name_for_a_new_tab(client, bob, profile, database):
    client.force_login(bob)
    response = client.post(url(profile, "tab_new", "main"), {"label": " "}, **HTMX)
    assert "This field is required." in response.content.decode()
    database.refresh_from_db()
    assert database.custom_tabs == []


def test_it_removes_a_custom_tab(client, bob, profile, database):
    tab = database.add_custom_tab("Marketing", ["utm_source"])
    database.set_default_tab(tab.slug)
    client.force_login(bob)
    response = client.post(url(profile, "tab_remove", tab.slug), **HTMX)
    assert response.status_code == 200
    database.refresh_from_db()
    assert database.custom_tabs == [] and database.default_tab == "main"


def test_it_keeps_the_standard_tabs(client, bob, profile, database):
    client.force_login(bob)
    response = client.post(url(profile, "tab_remove", "main"), **HTMX)
    assert "only custom tabs can be removed" in response.content.decode()
    assert database.get_tab("main") is not None


def test_it_redirects_to_the_tab_without_htmx(client, bob, profile):
    client.force_login(bob)
    response = client.post(url(profile, "tab_default", "main"), {"default_tab": "contact"})
    assert response.status_code == 302
    assert response["Location"] == profile.get_absolute_url() + "?tab=contact"


def test_it_rejects_get_on_the_changes(client, bob, profile):
    client.force_login(bob)
    for name in ("tab_fields", "tab_default", "tab_new", "tab_remove"):
        assert client.get(url(profile, name, "main")).status_code == 405


def test_it_refuses_users_who_may_not_change_profiles(client, charlie, bob, profile, database):
    client.force_login(charlie)
    assert client.get(url(profile, "tab_settings", "main")).status_code == 403
    assert client.post(url(profile, "tab_default"), {"default_tab": "contact"}).status_code == 403
    client.force_login(bob)
    stranger = ProfileFactory()
    assert client.post(url(stranger, "tab_new"), {"label": "X"}).status_code == 404
    database.refresh_from_db()
    assert database.default_tab == "main"
    stranger.database.refresh_from_db()
    assert stranger.database.custom_tabs == []
