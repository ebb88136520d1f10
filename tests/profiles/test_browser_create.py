"""A marketer adds a profile in a real browser: choosing the database brings its
additional fields without touching what was already typed."""

import time

import pytest

from profiles.models import Profile
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_what_is_typed_while_the_database_fields_load_is_kept(
    logged_in_page, live_server, bob, database
):
    shop = ProfileDatabaseFactory(name="Online store")
    shop.members.add(bob)
    CustomFieldFactory(database=shop, name="plan", label="Plan", type="line")
    page = logged_in_page
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    def slowly(route):  # a slow network: the fields arrive after the typing
        time.sleep(0.6)
        route.continue_()

    page.route("**/profiles/new/?database=*", slowly)
    page.goto(f"{live_server.url}/profiles/new/")
    page.select_option("select[name=database]", str(shop.pk))
    page.fill("input[name=email]", "Tour.Tester@Example.com")
    page.fill("input[name=first_name]", "Tour")
    page.fill("textarea[name=phones]", "+33612345670")
    page.wait_for_selector("text=Additional fields of Online store")
    page.fill("input[name='custom.plan']", "Gold")
    assert page.input_value("input[name=email]") == "Tour.Tester@Example.com"
    page.click("main button[type=submit]")

    page.wait_for_selector("text=added to Online store")
    profile = Profile.objects.get(database=shop)
    assert (profile.email, profile.first_name, profile.phones) == (
        "tour.tester@example.com",
        "Tour",
        ["+33612345670"],
    )
    assert profile.custom_values == {"plan": "Gold"}
    assert not errors
