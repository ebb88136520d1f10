"""The cog's field chooser grouped by tab, and the order of a tab's fields: moved up and
down with buttons, saved per database and tab, shown in that order on the profile page."""

import re

import pytest
from django.urls import reverse

from tests.factories import CustomFieldFactory, ProfileFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-content"}


@pytest.fixture
def profile(database):
    return ProfileFactory(
        database=database, first_name="Ada", middle_name="King", last_name="Lovelace"
    )


def url(profile, name, tab):
    return reverse(f"profiles:{name}", args=[profile.profile_id]) + f"?tab={tab}"


def labels_shown(html):
    """The field labels of the read-only tab, in page order."""
    panel = html.split('id="tab-content"')[1].split('id="section"')[0]
    return re.findall(r"<dt>(.*?)</dt>", panel)


def test_the_chooser_groups_the_fields_under_tab_headings(client, bob, profile, database):
    CustomFieldFactory(database=database, name="plan", label="Tariff plan")
    client.force_login(bob)

    html = client.get(url(profile, "tab_settings", "main"), **HTMX).content.decode()

    chooser = html.split("Fields shown on “Main”")[1].split("Order on")[0]
    headings = re.findall(r'<h4 class="field-group-heading">(.*?)</h4>', chooser)
    assert headings == [
        "Main",
        "Personal",
        "Contact",
        "Reg. data",
        "Tracked",
        "Additional fields",
        "Other fields",
    ]
    personal = chooser.split(">Personal</h4>")[1].split("</fieldset>")[0]
    assert "Birthday" in personal and "Reg City" not in personal
    assert "Tariff plan" in chooser.split(">Additional fields</h4>")[1].split("</fieldset>")[0]


def test_the_order_list_shows_the_tabs_fields_with_move_buttons(client, bob, profile):
    client.force_login(bob)

    html = client.get(url(profile, "tab_settings", "personal"), **HTMX).content.decode()

    order = html.split('class="field-order"')[1].split("</ol>")[0]
    assert re.findall(r'class="field-order-label">(.*?)</span>', order) == [
        "First name",
        "Middle name",
        "Last name",
        "Gender",
        "Birthday",
        "Language",
    ]
    assert 'aria-label="Move First name up"' in order
    assert re.search(r'value="first_name:up" aria-label="Move First name up"[^>]*disabled', order)


def test_moving_a_field_up_saves_the_order_and_keeps_the_settings_open(
    client, bob, profile, database
):
    client.force_login(bob)
    data = {
        "fields": ["first_name", "middle_name", "last_name"],
        "order": ["first_name", "middle_name", "last_name"],
        "move": "last_name:up",
    }

    response = client.post(url(profile, "tab_fields", "personal"), data, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and "Order on “Personal”" in html
    assert "“Last name” moved up." in html
    assert re.search(r'value="last_name:up"[^>]*autofocus', html)
    database.refresh_from_db()
    assert database.get_tab("personal").fields == ["first_name", "last_name", "middle_name"]


def test_the_profile_page_shows_the_fields_in_the_saved_order(client, bob, profile, database):
    database.set_tab_fields("personal", ["last_name", "birthday", "first_name"])
    client.force_login(bob)

    html = client.get(profile.get_absolute_url(), {"tab": "personal"}).content.decode()

    assert labels_shown(html) == ["Last name", "Birthday", "First name"]
    other = ProfileFactory(database=database)
    html = client.get(other.get_absolute_url(), {"tab": "personal"}).content.decode()
    assert labels_shown(html) == ["Last name", "Birthday", "First name"]


def test_a_newly_checked_field_comes_last_and_an_unchecked_one_goes(client, bob, profile, database):
    database.set_tab_fields("personal", ["last_name", "first_name"])
    client.force_login(bob)

    client.post(
        url(profile, "tab_fields", "personal"),
        # The checkboxes post in chooser order; the order posted is the tab's.
        {"fields": ["first_name", "gender"], "order": ["last_name", "first_name"]},
        **HTMX,
    )

    database.refresh_from_db()
    assert database.get_tab("personal").fields == ["first_name", "gender"]
    database.set_tab_fields("personal", ["last_name", "first_name"])
    client.post(
        url(profile, "tab_fields", "personal"),
        {"fields": ["first_name", "last_name", "gender"], "order": ["last_name", "first_name"]},
        **HTMX,
    )
    database.refresh_from_db()
    assert database.get_tab("personal").fields == ["last_name", "first_name", "gender"]


def test_the_first_field_does_not_move_up(client, bob, profile, database):
    client.force_login(bob)
    data = {"fields": ["first_name", "last_name"], "order": ["first_name", "last_name"]}

    client.post(url(profile, "tab_fields", "main"), data | {"move": "first_name:up"}, **HTMX)

    database.refresh_from_db()
    assert database.get_tab("main").fields == ["first_name", "last_name"]


def test_the_order_of_a_custom_tab_is_kept_for_that_tab_only(client, bob, profile, database):
    tab = database.add_custom_tab("Marketing", ["utm_source", "utm_campaign"])
    client.force_login(bob)
    data = {"fields": ["utm_source", "utm_campaign"], "order": ["utm_source", "utm_campaign"]}

    client.post(url(profile, "tab_fields", tab.slug), data | {"move": "utm_campaign:up"}, **HTMX)

    database.refresh_from_db()
    assert database.get_tab(tab.slug).fields == ["utm_campaign", "utm_source"]
    assert database.get_tab("tracked").fields.index("utm_source") < database.get_tab(
        "tracked"
    ).fields.index("utm_campaign")


def test_a_plain_move_redirects_to_the_settings_page(client, bob, profile, database):
    client.force_login(bob)
    data = {"fields": ["first_name", "last_name"], "order": ["first_name", "last_name"]}

    response = client.post(url(profile, "tab_fields", "main"), data | {"move": "last_name:up"})

    assert response.status_code == 302
    assert response["Location"] == url(profile, "tab_settings", "main")
    database.refresh_from_db()
    assert database.get_tab("main").fields == ["last_name", "first_name"]


def test_moving_needs_the_change_permission(client, charlie, profile, database):
    client.force_login(charlie)
    data = {"fields": ["last_name"], "order": ["last_name"], "move": "last_name:up"}

    response = client.post(url(profile, "tab_fields", "main"), data, **HTMX)

    assert response.status_code in (403, 404)
    database.refresh_from_db()
    assert database.tab_fields == {}


def test_the_grouped_settings_take_the_same_queries_for_many_custom_fields(
    client, bob, profile, database, django_assert_max_num_queries
):
    client.force_login(bob)
    CustomFieldFactory(database=database, name="plan")
    with django_assert_max_num_queries(50) as few:
        client.get(url(profile, "tab_settings", "additional"), **HTMX)
    for n in range(20):
        CustomFieldFactory(database=database, name=f"field{n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url(profile, "tab_settings", "additional"), **HTMX).content.decode()

    assert html.count('name="fields" value="custom.') == 2 * 21  # chooser of the tab and new tab


def test_a_field_removed_meanwhile_drops_out_of_the_order(client, bob, profile, database):
    client.force_login(bob)
    data = {"fields": ["first_name", "last_name"], "order": ["custom.gone", "last_name"]}

    client.post(url(profile, "tab_fields", "main"), data, **HTMX)

    database.refresh_from_db()
    assert database.get_tab("main").fields == ["last_name", "first_name"]
