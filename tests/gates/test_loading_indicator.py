"""While an htmx request is on its way, the bar at the top of the window shows; it goes once
the answer is in (the old section no longer stays put with no sign of work)."""

import pytest
from playwright.sync_api import expect

from tests.gates.showcase import build_showcase, log_in

pytestmark = [pytest.mark.browser, pytest.mark.gates, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_shows_while_a_section_loads(browser, live_server):
    showcase = build_showcase(profiles=9)
    page = browser.new_page()
    log_in(page, live_server.url, showcase)
    page.goto(f"{live_server.url}{showcase.profile.get_absolute_url()}")
    bar = page.locator(".page-progress")
    expect(bar).to_be_hidden()

    held = []  # the section's request, answered only when the test lets it go
    page.route("**/loyalty/**", lambda route: held.append(route))
    page.click("#section-tabs >> text=Loyalty programs")
    expect(bar).to_be_visible()
    page.wait_for_timeout(300)  # still waiting: the bar stays
    expect(bar).to_be_visible()
    assert len(held) == 1 and held[0].request.headers.get("hx-request") == "true"

    held[0].continue_()
    expect(page.locator("#section-tabs [aria-selected=true]")).to_have_text("Loyalty programs")
    expect(bar).to_be_hidden()
    expect(page.locator("#section")).not_to_have_class("htmx-request")
    page.close()


def test_the_progress_bar_shows_for_a_data_tab_and_for_a_failed_request(browser, live_server):
    showcase = build_showcase(profiles=9)
    page = browser.new_page()
    log_in(page, live_server.url, showcase)
    page.goto(f"{live_server.url}{showcase.profile.get_absolute_url()}")
    bar = page.locator(".page-progress")
    held = []
    page.route("**/?tab=*", lambda route: held.append(route))
    page.locator("#data-tabs [role=tab]").nth(1).click()
    expect(bar).to_be_visible()
    held[0].fulfill(status=500, body="")
    expect(page.locator("#messages [role=alert]")).to_be_visible()
    expect(bar).to_be_hidden()
    page.close()
