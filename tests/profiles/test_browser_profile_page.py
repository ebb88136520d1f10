"""A marketer in a real browser: open a profile, switch tabs, edit, reload the bookmark."""

import pytest

from tests.factories import ProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_edits_a_tab_and_reloads_its_bookmarked_url(
    logged_in_page, live_server, database
):
    profile = ProfileFactory(database=database, first_name="Ada", last_name="Lovelace")
    page = logged_in_page
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(f"{live_server.url}/profiles/?search=Lovelace")
    page.click("text=Ada Lovelace")
    page.wait_for_url(f"{live_server.url}{profile.get_absolute_url()}")
    assert page.locator("#data-tabs a[aria-selected=true]").inner_text() == "Main"

    page.click("#data-tabs >> text=Personal")
    page.wait_for_url(f"**{profile.get_absolute_url()}?tab=personal")
    page.wait_for_selector("#tab-content h2:text-is('Personal')")
    assert page.locator("#data-tabs a[aria-selected=true]").inner_text() == "Personal"

    page.click("#tab-content >> text=Edit")
    page.fill("input[name=middle_name]", "Byron")
    page.click("#tab-content button[type=submit]")
    page.wait_for_selector("#tab-content dd:text-is('Byron')")
    profile.refresh_from_db()
    assert profile.middle_name == "Byron"

    page.reload()
    assert page.url.endswith(f"{profile.get_absolute_url()}?tab=personal")
    assert page.locator("#data-tabs a[aria-selected=true]").inner_text() == "Personal"
    assert page.locator("#tab-content dd:text-is('Byron')").is_visible()

    page.click("#section-tabs >> text=Loyalty programs")
    page.wait_for_selector("text=The profile is not enrolled in a loyalty program.")
    assert page.url.endswith(f"{profile.get_absolute_url()}loyalty/?tab=personal")
    assert errors == []
