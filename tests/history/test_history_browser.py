"""A marketer in a real browser filters a profile's history, reloads, goes back, resets."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ProfileFactory
from tests.history.factories import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page):
    return page.locator("#history-results tr.history-event").evaluate_all(
        "rows => rows.map(row => row.dataset.type)"
    )


def wait_rows(page, expected, timeout=5):
    """Wait for the rows shown to be these types (polled: the page's CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while rows(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert rows(page) == expected


def test_a_marketer_filters_the_history_and_resets_it(logged_in_page, live_server, database):
    profile = ProfileFactory(database=database)
    now = timezone.now()
    make_event(profile, "send", when=now - timedelta(hours=1), mailing="Autumn")
    make_event(profile, "click", when=now - timedelta(hours=2), url="https://shop.example/")
    make_event(profile, "open", when=now - timedelta(days=8))
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    base = f"{live_server.url}/profiles/{profile.profile_id}/history/"

    page.goto(base)
    assert rows(page) == ["send", "click"]
    assert page.locator("select[name=period]").input_value() == "7"
    assert not page.locator("input[name=since]").is_visible()

    page.click("details.history-types summary")
    page.check("input[name=type][value=click]")
    page.wait_for_url("**type=click**")
    wait_rows(page, ["click"])
    assert page.locator("details.history-types").get_attribute("open") is not None

    page.select_option("select[name=period]", "30")
    page.wait_for_url("**period=30**")
    wait_rows(page, ["click"])
    page.uncheck("input[name=type][value=click]")
    page.wait_for_url(lambda url: "type=click" not in url)
    wait_rows(page, ["send", "click", "open"])

    page.reload()
    assert page.locator("select[name=period]").input_value() == "30"
    assert rows(page) == ["send", "click", "open"]

    page.go_back()
    page.wait_for_url("**type=click**")
    wait_rows(page, ["click"])
    assert page.locator("input[name=type][value=click]").is_checked()

    page.click("text=Reset filter")
    page.wait_for_url(base)
    wait_rows(page, ["send", "click"])
    assert page.locator("select[name=period]").input_value() == "7"
    assert not page.locator("input[name=type][value=click]").is_checked()
    raw = page.locator("tr.history-event[data-type=send] details.history-raw")
    assert not raw.locator("pre").is_visible()
    raw.locator("summary").click()
    assert '"mailing": "Autumn"' in raw.locator("pre").inner_text()

    page.select_option("select[name=period]", "custom")
    assert page.locator("input[name=since]").is_visible()
    day = (now - timedelta(days=8)).date().isoformat()
    page.fill("input[name=since]", day)
    page.fill("input[name=until]", day)
    page.locator("input[name=until]").dispatch_event("change")
    page.wait_for_url(f"**until={day}**")
    wait_rows(page, ["open"])
    assert errors == []


def test_the_filter_keeps_the_data_tab_in_the_url(logged_in_page, live_server, database):
    profile = ProfileFactory(database=database)
    make_event(profile, "open", when=timezone.now() - timedelta(days=20))
    page = logged_in_page
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/history/?tab=personal")
    page.click("#tab-contact")  # another data tab, chosen in place
    page.wait_for_url("**tab=contact**")

    page.select_option("select[name=period]", "30")
    page.wait_for_url("**period=30**")
    wait_rows(page, ["open"])
    assert "tab=contact" in page.url

    page.reload()
    assert page.locator("#tab-contact").get_attribute("aria-selected") == "true"
    assert page.locator("select[name=period]").input_value() == "30"
    assert rows(page) == ["open"]


def test_the_custom_range_fits_a_phone(logged_in_page, live_server, database):
    profile = ProfileFactory(database=database)
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/history/?period=custom")

    form = page.locator(".history-filter").bounding_box()
    for name in ("since", "until"):
        field = page.locator(f"input[name={name}]").bounding_box()
        assert form["x"] <= field["x"] and field["x"] + field["width"] <= form["x"] + form["width"]


def test_times_show_in_the_browsers_time_zone(browser, live_server, bob, database):
    profile = ProfileFactory(database=database)
    make_event(profile, "open", when=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/profiles/")
    url = f"{live_server.url}/profiles/{profile.profile_id}/history/?since=2026-01-15T00:00:00Z"

    page.goto(url)  # first visit: rendered in UTC, rewritten by history.js
    assert page.locator("tr.history-event time").inner_text() == "2026-01-15 21:00"
    assert "Asia/Tokyo" in page.locator(".history-zone").inner_text()
    page.reload()  # the cookie is set: rendered in Tokyo time by the server
    time = page.locator("tr.history-event time")
    assert time.get_attribute("data-zone") == "Asia/Tokyo"
    assert time.inner_text() == "2026-01-15 21:00"
    context.close()


def test_times_show_in_the_browsers_zone_when_the_tab_arrives_by_htmx(
    browser, live_server, bob, database
):
    profile = ProfileFactory(database=database)
    when = timezone.now() - timedelta(hours=1)
    make_event(profile, "open", when=when)
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/profiles/")

    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/subscriptions/")
    page.click("#section-tabs a[href$='/history/']")

    tokyo = when.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
    expect(page.locator("tr.history-event time")).to_have_text(tokyo)
    context.close()
