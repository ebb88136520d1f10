"""A marketer in a real browser, on a profile's Data section: attaches a promo code, activates
it, attaches another and detaches it, each answered in place."""

import pytest
from playwright.sync_api import expect

from history.models import Event
from promos.models import PromoCode
from tests.conftest import grant
from tests.factories import ProfileFactory
from tests.promos.factories import PromoPoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until_settled(page, path, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: path in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def confirm(page, question):
    """Answer the styled confirmation (never a native dialog) after checking its question."""
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog.locator(".confirm-question")).to_have_text(question)
    dialog.locator(".confirm-ok").click()


def test_a_marketer_attaches_activates_and_detaches_codes_in_place(
    logged_in_page, live_server, database, bob
):
    grant(bob, "view_promocode", "attach_promocode")
    profile = ProfileFactory(database=database, first_name="Ann", last_name="Lee")
    pool = PromoPoolFactory(database=database, name="Welcome 10%")
    pool.load_codes(["WELCOME1", "WELCOME2", "WELCOME3"])
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}{profile.get_absolute_url()}")
    page.evaluate("window.samePage = true")
    until_settled(page, "/data/", lambda: page.click("#section-tabs >> text=Data"))
    part = page.locator("#part-promo-codes")
    expect(part).to_contain_text("No promo code is attached to this profile.")

    part.locator("select[name=pool]").select_option(label="Welcome 10% (3 free)")
    until_settled(
        page,
        "/promo-codes/attach/",
        lambda: part.get_by_role("button", name="Attach a code").click(),
    )
    part = page.locator("#part-promo-codes")
    expect(part.locator(".part-notice")).to_have_text("Attached code WELCOME1 from “Welcome 10%”.")
    expect(part.locator("tr[data-code]")).to_have_count(1)
    expect(part.locator("select[name=pool] option", has_text="2 free")).to_have_count(1)

    until_settled(
        page,
        "/promo-codes/activate/",
        lambda: part.get_by_role("button", name="Activate code WELCOME1").click(),
    )
    part = page.locator("#part-promo-codes")
    expect(part.locator(".part-notice")).to_have_text("Activated code WELCOME1.")
    expect(part.locator("tr[data-code]").first).to_contain_text("Activated")

    part = page.locator("#part-promo-codes")
    part.locator("select[name=pool]").select_option(label="Welcome 10% (2 free)")
    until_settled(
        page,
        "/promo-codes/attach/",
        lambda: part.get_by_role("button", name="Attach a code").click(),
    )
    part = page.locator("#part-promo-codes")
    until_settled(
        page,
        "/promo-codes/detach/",
        lambda: (
            part.get_by_role("button", name="Detach code WELCOME2").click(),
            confirm(page, "Detach the code WELCOME2 from this profile?"),
        ),
    )
    part = page.locator("#part-promo-codes")
    expect(part.locator(".part-notice")).to_have_text(
        "Detached code WELCOME2: it is free again in its pool."
    )
    expect(part.locator("tr[data-code]")).to_have_count(1)

    assert PromoCode.objects.get(code="WELCOME1").status == "activated"
    assert PromoCode.objects.get(code="WELCOME2").status == "free"
    types = list(
        Event.objects.filter(profile=profile).order_by("id").values_list("type", flat=True)
    )
    assert types[-4:] == ["promo_attached", "promo_activated", "promo_attached", "promo_detached"]
    assert page.evaluate("window.samePage") is True  # swapped in place, never reloaded
    assert errors == []
