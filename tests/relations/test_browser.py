"""A marketer in a real browser, on a profile's Data section: adds a relation to another
profile by its email and removes it, each answered in place; the other profile shows it."""

import pytest
from playwright.sync_api import expect

from relations.models import Relation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until_settled(page, path, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: path in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def test_a_marketer_adds_and_removes_a_relation_in_place(
    logged_in_page, live_server, ann, ben, liked
):
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}{ann.get_absolute_url()}")
    page.evaluate("window.samePage = true")
    until_settled(page, "/data/", lambda: page.click("#section-tabs >> text=Data"))
    part = page.locator("#part-relations")
    expect(part).to_contain_text("The profile has no relations.")

    part.locator("select[name=type]").select_option(label="liked")
    part.locator("input[name=other]").fill("nobody@example.com")
    until_settled(
        page, "/relations/", lambda: part.get_by_role("button", name="Add relation").click()
    )
    expect(part.locator(".field-error")).to_contain_text("No profile of database “Customers”")
    expect(part.locator("input[name=other]")).to_have_value("nobody@example.com")

    part.locator("input[name=other]").fill("ben@example.com")
    part.locator("textarea[name=properties]").fill('{"source": "fair"}')
    until_settled(
        page, "/relations/", lambda: part.get_by_role("button", name="Add relation").click()
    )
    expect(part.locator(".part-notice")).to_have_text("Relation added: “liked” → Ben Ray.")
    relation = Relation.objects.get()
    row = part.locator(f"tr[data-relation='{relation.pk}']")
    expect(row).to_contain_text("Ben Ray")
    expect(row).to_contain_text('{"source": "fair"}')

    row.get_by_role("button").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog.locator(".confirm-question")).to_have_text(
        "Remove the “liked” relation with Ben Ray?"
    )
    until_settled(page, "/remove/", lambda: dialog.locator(".confirm-ok").click())
    expect(part.locator(".part-notice")).to_have_text("Relation removed: “liked” with Ben Ray.")
    expect(part).to_contain_text("The profile has no relations.")
    assert not Relation.objects.exists()
    assert page.evaluate("window.samePage") is True  # all in place, no page load
    assert errors == []


def test_the_other_profile_shows_the_relation_coming_in(
    logged_in_page, live_server, ann, ben, liked
):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    page = logged_in_page
    page.goto(f"{live_server.url}/profiles/{ben.profile_id}/data/")
    row = page.locator("#part-relations tbody tr")
    expect(row).to_contain_text("liked")
    expect(row).to_contain_text("from")
    row.get_by_role("link", name="Ann Lee").click()
    page.wait_for_url(f"**{ann.get_absolute_url()}")
