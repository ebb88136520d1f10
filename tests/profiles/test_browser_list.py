"""A marketer in a real browser works in the profile list: sorts by a column, pages on,
selects profiles and sets their status after the confirmation."""

import pytest

from profiles.models import Profile
from tests.conftest import lines_of
from tests.factories import ProfileFactory
from web.profiles.views.listing import PAGE_SIZE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def names(page):
    return page.locator("#results tbody .row-link").all_inner_texts()


def test_a_marketer_sorts_pages_and_acts_on_a_selection(logged_in_page, live_server, database):
    for n in range(PAGE_SIZE + 5):
        ProfileFactory(
            database=database, first_name="P", last_name=f"N{n:02d}", email=f"p{n:02d}@example.com"
        )
    database.name = "Mobile app"
    database.save()
    page = logged_in_page
    page.set_viewport_size({"width": 1024, "height": 800})
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/profiles/")
    assert page.locator("#list-summary").inner_text() == (
        f"{PAGE_SIZE + 5} profiles, sorted by newest first."
    )

    database_cell = page.locator("#results td[data-label=Database]").first
    assert lines_of(database_cell) == 1  # "Mobile app" on one line

    page.click("#results th >> text=Name")  # sort by name, in place
    page.wait_for_url("**/profiles/?sort=name")
    page.wait_for_selector("#list-summary:has-text('last name, A to Z')")
    assert names(page)[:2] == ["P N00", "P N01"]
    assert page.locator("#id_sort").input_value() == "name"  # the form follows the order

    page.click("#results a[rel=next]")
    page.wait_for_selector("#results .row-link:text-is('P N29')")
    assert "sort=name" in page.url and "after=" in page.url
    assert names(page) == [f"P N{n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    page.click("#results a[rel=prev]")
    page.wait_for_selector("#results .row-link:text-is('P N00')")
    assert len(names(page)) == PAGE_SIZE

    page.reload()  # the URL holds the order and the page
    assert names(page)[0] == "P N00"

    page.check("[data-select-all]")
    assert page.locator("[data-bulk-count]").inner_text() == str(PAGE_SIZE)
    page.uncheck("[aria-label='Select P N00']")
    assert page.locator("[data-bulk-count]").inner_text() == str(PAGE_SIZE - 1)
    page.select_option("#id_bulk_action", "status")
    assert page.locator("#id_bulk_status").is_visible()
    assert not page.locator("#id_bulk_segment").is_visible()
    page.select_option("#id_bulk_status", "unsubscribed")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{PAGE_SIZE - 1} profiles to Unsubscribed?')")
    page.click("button:has-text('Set to Unsubscribed')")
    page.wait_for_selector(f"text=Set the global status of {PAGE_SIZE - 1} profiles")
    assert "sort=name" in page.url
    unsubscribed = Profile.objects.filter(status="unsubscribed")
    assert unsubscribed.count() == PAGE_SIZE - 1
    assert not unsubscribed.filter(last_name="N00").exists()
    assert errors == []


@pytest.mark.parametrize("width", [1440, 1024])
def test_a_badge_beside_a_name_never_squeezes_the_name(
    logged_in_page, live_server, database, width
):
    """A profile in the control group has a badge beside its name: the name keeps its
    words whole (it was broken two letters a line) and the badge goes under it if need
    be; a name stays beside its avatar."""
    ProfileFactory(
        database=database,
        first_name="Valerie",
        last_name="Harris",
        email="a-rather-long-address-of-valerie.harris@example.org",
        in_control_group=True,
    )
    ProfileFactory(database=database, first_name="Jermaine", last_name="Pearson")
    ProfileFactory.create_batch(3, database=database, phones=["+12015569190", "+48512368234"])
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/profiles/")

    name = page.locator("#results .row-link", has_text="Valerie Harris")
    assert lines_of(name) <= 2  # broken between its words at most, never in one
    assert page.locator("#results .control-group-mark").is_visible()
    for row in page.locator("#results tbody tr").all():
        avatar = row.locator(".list-avatar").bounding_box()
        link = row.locator(".row-link").bounding_box()
        assert link["x"] > avatar["x"] + avatar["width"]  # beside it, not under it
        assert link["y"] < avatar["y"] + avatar["height"]
