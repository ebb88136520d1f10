"""A marketer in a real browser works a profile's Data and Loyalty programs sections in one
visit: attaches a promo code, relates the profile to another, adds loyalty points; every
answer is swapped in place, and History then shows what was done."""

import pytest
from playwright.sync_api import expect

from loyalty.models import Membership
from promos.models import PromoCode
from relations.models import Relation
from tests.conftest import grant, lines_of
from tests.factories import CustomFieldFactory, ProfileFactory
from tests.loyalty.factories import ProgramFactory, with_tiers
from tests.promos.factories import PromoPoolFactory
from tests.relations.factories import RelationTypeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until_settled(page, path, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: path in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def test_a_marketer_attaches_a_code_adds_a_relation_and_loyalty_points(
    logged_in_page, live_server, database, bob
):
    grant(
        bob,
        "view_promocode",
        "attach_promocode",
        "view_relationtype",
        "view_relation",
        "add_relation",
        "add_membership",
        "add_transaction",
    )
    ann = ProfileFactory(database=database, first_name="Ann", last_name="Lee")
    ProfileFactory(database=database, first_name="Ben", last_name="Ray", email="ben@example.com")
    PromoPoolFactory(database=database, name="Spring").load_codes(["SPRING-1", "SPRING-2"])
    RelationTypeFactory(database=database, name="recommended")
    program = with_tiers(ProgramFactory(database=database, name="Club"), Bronze=0, Silver=500)
    Membership.objects.create(program=program, profile=ann)
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}{ann.get_absolute_url()}")
    page.evaluate("window.samePage = true")
    until_settled(page, "/data/", lambda: page.click("#section-tabs >> text=Data"))

    codes = page.locator("#part-promo-codes")
    codes.locator("select[name=pool]").select_option(label="Spring (2 free)")
    until_settled(
        page, "/promo-codes/attach/", lambda: codes.get_by_role("button", name="Attach").click()
    )
    codes = page.locator("#part-promo-codes")
    expect(codes.locator(".part-notice")).to_have_text("Attached code SPRING-1 from “Spring”.")
    expect(codes.locator("tr[data-code]")).to_contain_text("SPRING-1")

    relations = page.locator("#part-relations")
    relations.locator("select[name=type]").select_option(label="recommended")
    relations.locator("input[name=other]").fill("ben@example.com")
    until_settled(
        page, "/relations/", lambda: relations.get_by_role("button", name="Add relation").click()
    )
    relations = page.locator("#part-relations")
    expect(relations.locator(".part-notice")).to_have_text(
        "Relation added: “recommended” → Ben Ray."
    )
    expect(relations.locator("tbody tr")).to_contain_text("Ben Ray")

    until_settled(page, "/loyalty/", lambda: page.click("#section-tabs >> text=Loyalty programs"))
    form = page.locator(f"#part-loyalty [data-program='{program.pk}'] form")
    form.get_by_label("Points").fill("600")
    form.get_by_label("Reason").fill("Welcome bonus")
    until_settled(page, "/loyalty/transactions/", lambda: form.get_by_role("button").click())
    loyalty = page.locator("#part-loyalty")
    expect(loyalty.locator(".part-notice")).to_contain_text("the balance is 600 points")
    expect(loyalty.locator(".loyalty-tier-badge")).to_have_text("Silver")

    until_settled(page, "/history/", lambda: page.click("#section-tabs >> text=History"))
    history = page.locator("#section")
    expect(history).to_contain_text("Promo code attached")
    expect(history).to_contain_text("SPRING-1")

    assert PromoCode.objects.get(code="SPRING-1").profile == ann
    assert Relation.objects.get().to_profile.email == "ben@example.com"
    assert Membership.objects.get(profile=ann).balance == 600
    assert page.evaluate("window.samePage") is True  # every answer swapped in place
    assert errors == []


def test_the_custom_data_table_takes_the_sections_width(logged_in_page, live_server, database):
    """Its values were broken mid-word ("172.205.221.14 / 7") in a third of the width."""
    CustomFieldFactory(database=database, name="device_ip", label="Device IP", type="ip")
    CustomFieldFactory(database=database, name="last_seen", label="Last seen", type="date")
    ann = ProfileFactory(
        database=database,
        custom_values={"device_ip": "172.205.221.147", "last_seen": "2026-11-30T06:04:00Z"},
    )
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}{ann.get_absolute_url()}")
    until_settled(page, "/data/", lambda: page.click("#section-tabs >> text=Data"))

    part = page.locator("#part-custom")
    section = page.locator("#data").bounding_box()
    assert part.bounding_box()["width"] > 0.9 * section["width"]
    for value in ("172.205.221.147", "2026-11-30"):
        assert lines_of(part.locator("td", has_text=value)) == 1, value
