"""A marketer in a real browser opens the cog, finds the fields grouped by tab, moves one up
with the keyboard-reachable buttons and sees the tab in the new order."""

import pytest

from tests.factories import ProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_orders_a_tabs_fields_from_the_grouped_settings(
    logged_in_page, live_server, database
):
    profile = ProfileFactory(database=database, first_name="Ada", last_name="Lovelace")
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}{profile.get_absolute_url()}?tab=personal")
    page.get_by_role("link", name="Tab settings").click()
    page.wait_for_selector("text=Order on “Personal”")

    fields_form = page.locator("form.settings-block").first
    group = fields_form.get_by_role("group", name="Reg. data")
    assert group.get_by_role("checkbox", name="Reg City").is_visible()
    assert (
        fields_form.get_by_role("group", name="Personal")
        .get_by_role("checkbox", name="Birthday")
        .is_checked()
    )

    page.get_by_role("button", name="Move Last name up").click()
    page.wait_for_selector("text=“Last name” moved up.", state="attached")
    labels = page.locator(".field-order-label").all_inner_texts()
    assert labels[:3] == ["First name", "Last name", "Middle name"]
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Move Last name up"

    fields_form = page.locator("form.settings-block").first
    fields_form.get_by_role("group", name="Personal").get_by_role(
        "checkbox", name="Gender"
    ).uncheck()
    fields_form.get_by_role("button", name="Save fields").click()
    page.wait_for_selector("#tab-content h2:text-is('Personal')")
    shown = page.locator("#tab-content dl.fields dt").all_inner_texts()
    assert shown == ["First name", "Last name", "Middle name", "Birthday", "Language"]
    assert errors == []
