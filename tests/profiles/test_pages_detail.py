"""The profile page: header, data tabs (full page and fragment), sections, access, queries."""

import re

import pytest
from django.urls import reverse

from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import CustomFieldFactory, EventFactory, ProfileFactory, UserFactory
from web.profiles import sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(
        database=database,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        latitude="51.507400",
        longitude="-0.127800",
    )


def test_it_shows_the_header_with_identifiers_and_status(client, bob, profile):
    profile.in_control_group = True
    profile.save()
    client.force_login(bob)
    response = client.get(profile.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Ada Lovelace",
        "ada@example.com",
        profile.profile_id,
        profile.md5,
        profile.xxh,
        "Customers",
        "Global control group",
        'class="badge status-subscribed"',
    ):
        assert text in html
    assert '<span class="avatar avatar-initials" aria-hidden="true">AL</span>' in html


def test_the_page_shows_the_sections_the_apps_registered_in_their_order(
    client, bob, profile, monkeypatch
):
    """The page names no app: what is registered is shown, the first one opens."""
    registered = dict(sections._registry)
    first = sections.Section(**{**vars(registered["subscriptions"]), "order": 1})
    monkeypatch.setattr(sections, "_registry", {**registered, "subscriptions": first})
    client.force_login(bob)

    response = client.get(profile.get_absolute_url())

    assert response.context["section"].slug == "subscriptions"
    html = response.content.decode()
    bar = re.search(r'<nav id="section-tabs".*?</nav>', html, re.S).group(0)
    labels = re.findall(r'role="tab"[^>]*>([^<]+)</a>', bar)
    assert labels == ["Subscriptions", "History", "Interactions", "Data", "Loyalty programs"]


def test_it_opens_on_the_history_section_with_the_default_data_tab(client, bob, profile):
    EventFactory(profile=profile, type="segment_entered", data={"segment": 1})
    client.force_login(bob)
    response = client.get(profile.get_absolute_url())
    html = response.content.decode()
    assert response.context["tab"].slug == "main"
    assert response.context["section"].slug == "history"
    assert 'id="tab-content"' in html and 'id="section"' in html
    assert "Entered a static segment" in html
    labels = ["History", "Interactions", "Data", "Subscriptions", "Loyalty programs"]
    for label in labels:
        assert f">{label}</a>" in html
    for label in ["Main", "Personal", "Contact", "Reg. data", "Tracked", "Additional fields"]:
        assert f">{label}</a>" in html


def test_it_links_every_data_tab_with_href_and_hx_get(client, bob, profile):
    client.force_login(bob)
    html = client.get(profile.get_absolute_url()).content.decode()
    url = f"{profile.get_absolute_url()}?tab=personal"
    assert (
        f'href="{url}" hx-get="{url}" hx-target="#tab-content" hx-push-url="true"'
        ' aria-selected="false">Personal</a>'
    ) in html
    assert 'aria-selected="true">Main</a>' in html


def test_it_opens_the_tab_of_the_url(client, bob, profile):
    client.force_login(bob)
    response = client.get(profile.get_absolute_url(), {"tab": "personal"})
    assert response.context["tab"].slug == "personal"
    assert 'aria-selected="true">Personal</a>' in response.content.decode()


def test_it_opens_the_databases_default_tab(client, bob, profile, database):
    database.set_default_tab("contact")
    client.force_login(bob)
    assert client.get(profile.get_absolute_url()).context["tab"].slug == "contact"


def test_it_answers_a_tab_switch_with_the_tab_fragment_only(client, bob, profile):
    client.force_login(bob)
    response = client.get(
        profile.get_absolute_url(),
        {"tab": "personal"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="tab-content",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="section"' not in html and 'id="tab-content"' not in html
    assert "<h2>Personal</h2>" in html and "Lovelace" in html
    # The section tab bar follows the new URL out of band, keeping the tab.
    assert 'id="section-tabs"' in html and 'hx-swap-oob="true"' in html
    assert f"{profile.get_absolute_url()}data/?tab=personal" in html


def test_it_keeps_other_query_parameters_in_the_tab_links(client, bob, profile):
    client.force_login(bob)
    url = reverse("history:profile", args=[profile.profile_id])
    html = client.get(url, {"period": "30d", "tab": "main"}).content.decode()
    assert f"{url}?period=30d&amp;tab=personal" in html


def test_it_answers_a_section_switch_with_the_section_and_both_tab_bars(client, bob, profile):
    client.force_login(bob)
    url = reverse("profiles:loyalty", args=[profile.profile_id])
    response = client.get(url, {"tab": "contact"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="section")
    html = response.content.decode()
    assert "The profile is not enrolled in a loyalty program." in html
    assert "<html" not in html and 'id="tab-content"' not in html
    assert re.search(r'<nav id="data-tabs"[^>]*hx-swap-oob="true"', html)
    assert f"{url}?tab=personal" in html
    assert 'aria-selected="true">Loyalty programs</a>' in html


@pytest.mark.parametrize(
    ("url_name", "text"),
    [
        ("profiles:data", "has no additional fields."),  # promo codes: tests/promos
        ("profiles:loyalty", "The profile is not enrolled in a loyalty program."),
        ("segments:profile", "The profile is in no static segment."),
    ],
)
def test_it_renders_each_section_as_a_full_page(client, bob, profile, url_name, text):
    client.force_login(bob)
    response = client.get(reverse(url_name, args=[profile.profile_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and text in html
    for word in ("placeholder", "coming soon", "TODO"):
        assert word not in html.lower().replace("placeholder=", "")


def test_it_shows_custom_data_and_pixel_goals_in_the_data_section(client, bob, profile, database):
    CustomFieldFactory(database=database, name="plan", label="Tariff plan")
    profile.custom_values = {"plan": "gold"}
    profile.save()
    EventFactory(profile=profile, type="pixel", data={"goal": "checkout", "value": 42, "url": "/c"})
    client.force_login(bob)
    html = client.get(reverse("profiles:data", args=[profile.profile_id])).content.decode()
    assert "Tariff plan" in html and "gold" in html and "1 of 1 additional field filled in" in html
    assert "checkout" in html


def test_it_draws_the_location_pin_on_the_main_tab(client, bob, profile):
    client.force_login(bob)
    html = client.get(profile.get_absolute_url(), {"tab": "main"}).content.decode()
    # Equirectangular: x = longitude + 180, y = 90 - latitude.
    assert 'cx="179.872" cy="38.493"' in html
    assert "Latitude 51.5074, longitude -0.1278" in html


def test_it_has_no_inline_script_style_or_event_handler(client, bob, profile):
    client.force_login(bob)
    html = client.get(profile.get_absolute_url(), {"tab": "main"}).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_it_says_so_when_the_profile_has_no_coordinates(client, bob, database):
    profile = ProfileFactory(database=database)
    client.force_login(bob)
    html = client.get(profile.get_absolute_url()).content.decode()
    assert "No coordinates set" in html
    assert "map-pin" not in html


def test_it_escapes_what_people_typed(client, bob, database):
    profile = ProfileFactory(database=database, first_name="<script>alert(1)</script>")
    client.force_login(bob)
    html = client.get(profile.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_hides_profiles_of_other_databases(client, bob):
    outsider_profile = ProfileFactory()
    client.force_login(bob)
    assert client.get(outsider_profile.get_absolute_url()).status_code == 404
    url = reverse("profiles:data", args=[outsider_profile.profile_id])
    assert client.get(url).status_code == 404


def test_it_refuses_a_user_without_the_view_permission(client, charlie, profile):
    client.force_login(charlie)
    assert client.get(profile.get_absolute_url()).status_code == 403


def test_it_hides_edit_controls_from_a_reader(client, database, profile):
    reader = grant(UserFactory(username="reader"), "view_profile")
    database.members.add(reader)
    client.force_login(reader)
    html = client.get(profile.get_absolute_url()).content.decode()
    assert (
        "Edit</a>" not in html
        and "Tab settings" not in html
        and "Global status</label>" not in html
    )
    assert "Export data" not in html and "Delete…" not in html


def test_it_offers_delete_only_with_the_permission(client, bob, alice, profile):
    client.force_login(bob)
    assert "Delete…" not in client.get(profile.get_absolute_url()).content.decode()
    client.force_login(alice)
    assert "Delete…" in client.get(profile.get_absolute_url()).content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_its_query_count_does_not_grow_with_custom_fields_or_profiles(
    client, bob, database, django_assert_max_num_queries, count
):
    for n in range(count):
        CustomFieldFactory(database=database, name=f"field_{n}")
    ProfileFactory.create_batch(count, database=database)
    values = {f"field_{n}": "x" for n in range(count)}
    profile = ProfileFactory(database=database, custom_values=values)
    EventFactory.create_batch(count, profile=profile)
    client.force_login(bob)
    with django_assert_max_num_queries(12):
        response = client.get(profile.get_absolute_url(), {"tab": "additional"})
    assert len(response.context["rows"]) == count


def test_the_marketer_fixture_matches_the_permissions_the_pages_use():
    assert {"view_profile", "change_profile", "export_profile", "add_profile"} <= set(
        MARKETER_PERMISSIONS
    )
