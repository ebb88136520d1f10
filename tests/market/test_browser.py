"""In a real browser: a user with the market role opens a profile's orders and their lines;
the standard marketer finds no Orders part on the same page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests import conftest
from tests.market.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, username):
    page = browser.new_page()
    conftest.log_in(page, live_server.url, username)
    return page


@pytest.fixture
def order(profile, tee, mug):
    order = OrderFactory(profile=profile, number="A-1001", status="delivered", currency="EUR")
    OrderLineFactory(order=order, product=tee, quantity=2)
    OrderLineFactory(order=order, product=mug, quantity=1, price=Decimal("7.00"))
    order.recompute_total()
    return order


def test_the_market_role_sees_the_orders_and_opens_their_lines(
    browser, live_server, merchant, profile, order
):
    page = log_in(browser, live_server, "mona")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/")
    page.click("#section-tabs >> text=Data")
    part = page.locator("#part-orders")
    expect(part).to_be_visible()
    row = part.locator(f"tbody[data-order='{order.pk}'] tr").first
    expect(row).to_contain_text("A-1001")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("46.80 EUR")
    lines = part.locator("details.order-lines table")
    expect(lines).to_be_hidden()
    part.get_by_text("The 2 lines of order A-1001").click()
    expect(lines).to_be_visible()
    expect(lines).to_contain_text("T-shirt M")
    expect(lines).to_contain_text("39.80")
    assert errors == []
    page.close()


def test_the_standard_marketer_finds_no_orders_part(browser, live_server, bob, profile, order):
    page = log_in(browser, live_server, "bob")
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/data/")
    expect(page.locator("#part-custom")).to_be_attached()
    expect(page.locator("#part-orders")).to_have_count(0)
    expect(page.get_by_text("A-1001")).to_have_count(0)
    page.close()
