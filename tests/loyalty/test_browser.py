"""A marketer in a real browser, on a profile's Loyalty programs section: enrols the profile,
adds points, is refused a write-off beyond the balance beside the field, all in place."""

import pytest
from playwright.sync_api import expect

from loyalty.models import Membership, Transaction
from tests.conftest import grant
from tests.factories import ProfileFactory
from tests.loyalty.factories import ProgramFactory, with_tiers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until_settled(page, path, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: path in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def test_a_marketer_enrols_a_profile_and_adds_points_in_place(
    logged_in_page, live_server, database, bob
):
    grant(bob, "add_membership", "add_transaction")
    profile = ProfileFactory(database=database, first_name="Ann", last_name="Lee")
    program = with_tiers(ProgramFactory(database=database, name="Club"), Bronze=0, Silver=1000)
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}{profile.get_absolute_url()}loyalty/")
    part = page.locator("#part-loyalty")
    expect(part).to_contain_text("The profile is not enrolled in a loyalty program.")

    part.locator("select[name=program]").select_option(label="Club")
    until_settled(page, "/loyalty/enrol/", lambda: part.get_by_role("button", name="Enrol").click())
    expect(part.locator(".part-notice")).to_have_text("Enrolled in “Club”.")
    assert Membership.objects.filter(program=program, profile=profile).exists()

    form = part.locator(f"[data-program='{program.pk}'] form")
    form.get_by_label("Points").fill("1200")
    form.get_by_label("Reason").fill("Order 17")
    until_settled(page, "/loyalty/transactions/", lambda: form.get_by_role("button").click())
    expect(part.locator(".part-notice")).to_contain_text("the balance is 1,200 points, tier Silver")
    expect(part.locator(".loyalty-tier-badge")).to_have_text("Silver")
    expect(part.locator(".loyalty-transactions")).to_contain_text("Order 17")

    form = part.locator(f"[data-program='{program.pk}'] form")
    form.get_by_label("Points").fill("-5000")
    form.get_by_label("Reason").fill("Too much")
    until_settled(page, "/loyalty/transactions/", lambda: form.get_by_role("button").click())
    expect(part.locator(".field-error")).to_contain_text("would take it below zero")
    assert Transaction.objects.count() == 1
    assert page.url.endswith(f"{profile.get_absolute_url()}loyalty/")
    assert errors == []
