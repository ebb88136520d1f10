"""In a real browser: the header follows an edit, messages appear after htmx changes, and
every destructive or status change asks in one styled dialog, never a native one."""

import pytest
from playwright.sync_api import expect

from profiles.models import Profile
from segments.models import Segment, SegmentMembership
from subscriptions.models import Subscription
from tests.conftest import log_in
from tests.factories import ProfileFactory
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page):
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


@pytest.fixture
def page(logged_in_page):
    """bob's page, failing the test on any native dialog (alert, confirm, prompt)."""
    native = []

    def refuse(dialog):
        native.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    logged_in_page.on("dialog", refuse)
    yield logged_in_page
    assert native == [], f"a native dialog appeared: {native}"


@pytest.fixture
def alice_page(browser, live_server, alice):
    """alice (who may delete subscriptions) logged in; native dialogs fail the test."""
    page = browser.new_page()
    native = []
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server.url, "alice")
    yield page
    page.close()
    assert native == [], f"a native dialog appeared: {native}"


@pytest.fixture
def profile(database):
    return ProfileFactory(
        database=database, email="ann@example.com", first_name="Ann", last_name="Lee"
    )


def test_the_header_follows_an_emptied_email_without_a_reload(page, live_server, profile):
    page.goto(f"{live_server.url}{profile.get_absolute_url()}?tab=contact")
    page.evaluate("window.samePage = true")
    expect(page.locator("#profile-header .identity-email")).to_have_text("ann@example.com")
    page.click("#tab-content a:text-is('Edit')")
    page.fill("#tab-content input[name=email]", "")
    page.click("#tab-content button:text-is('Save')")
    expect(page.locator("#profile-header .identity-email")).to_contain_text("No email")
    expect(page.locator("#messages")).to_contain_text("Contact saved.")
    assert page.evaluate("window.samePage") is True
    assert page.locator("#profile-header").count() == 1


def test_a_status_change_asks_first_and_cancel_changes_nothing(page, live_server, profile):
    page.goto(f"{live_server.url}{profile.get_absolute_url()}")
    dialog = page.locator("dialog.confirm-dialog")
    page.select_option("#profile-header select[name=status]", "hard_bounced")
    page.click("#profile-header button:text-is('Change')")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-question")).to_have_text(
        "Change the global status to “Hard bounced”?"
    )
    expect(dialog).to_contain_text("suppression list")
    dialog.locator("button:text-is('Cancel')").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#profile-header select[name=status]")).to_have_value("subscribed")
    settled(page)
    profile.refresh_from_db()
    assert profile.status == "subscribed"

    page.select_option("#profile-header select[name=status]", "hard_bounced")
    page.click("#profile-header button:text-is('Change')")
    dialog.locator("button:text-is('Change status')").click()
    expect(page.locator("#profile-header .badge[title='Global status']")).to_have_text(
        "Hard bounced"
    )
    expect(page.locator("#messages")).to_contain_text("Global status: Hard bounced.")
    assert Profile.objects.get(pk=profile.pk).status == "hard_bounced"


def test_escape_cancels_like_the_cancel_button(page, live_server, profile):
    page.goto(f"{live_server.url}{profile.get_absolute_url()}")
    page.select_option("#profile-header select[name=status]", "unsubscribed")
    page.click("#profile-header button:text-is('Change')")
    expect(page.locator("dialog.confirm-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog.confirm-dialog")).to_be_hidden()
    settled(page)
    assert Profile.objects.get(pk=profile.pk).status == "subscribed"


def test_removing_from_a_segment_asks_first(page, live_server, profile, database):
    segment = Segment.objects.create(name="VIP", database=database)
    SegmentMembership.objects.create(segment=segment, profile=profile)
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/interactions/")
    dialog = page.locator("dialog.confirm-dialog")
    page.click("#part-segments button:text-is('Remove')")
    expect(dialog.locator(".confirm-question")).to_have_text(
        "Remove the profile from the segment “VIP”?"
    )
    dialog.locator("button:text-is('Cancel')").click()
    settled(page)
    assert SegmentMembership.objects.filter(profile=profile).exists()
    expect(page.locator("#part-segments td:text-is('VIP')")).to_be_visible()

    page.click("#part-segments button:text-is('Remove')")
    dialog.locator("button:text-is('Remove')").click()
    expect(page.locator("#part-segments")).to_contain_text("The profile is in no static segment.")
    expect(page.locator("#messages")).to_contain_text("Removed from the segment “VIP”.")
    assert not SegmentMembership.objects.filter(profile=profile).exists()


def test_deleting_a_subscription_asks_in_the_styled_dialog(alice_page, live_server, profile):
    subscription = SubscriptionFactory(
        profile=profile, resource=ResourceFactory(name="Website"), contact="ann@example.com"
    )
    page = alice_page
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/subscriptions/")
    row = page.locator(f"#subscription-{subscription.public_id}")
    dialog = page.locator("dialog.confirm-dialog")
    row.locator("button:text-is('Delete')").click()
    expect(dialog.locator(".confirm-question")).to_have_text(
        "Delete the subscription ann@example.com?"
    )
    dialog.locator("button:text-is('Cancel')").click()
    settled(page)
    expect(row).to_be_visible()
    assert Subscription.objects.filter(pk=subscription.pk).exists()

    row.locator("button:text-is('Delete')").click()
    dialog.locator("button:text-is('Delete')").click()
    expect(page.locator("#messages")).to_contain_text(
        "Subscription ann@example.com (Website, Email) deleted."
    )
    expect(row).to_have_count(0)
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_subscription_status_asks_a_priority_does_not_and_a_decimal_is_an_error(
    page, live_server, profile
):
    subscription = SubscriptionFactory(
        profile=profile, resource=ResourceFactory(name="Website"), priority=2
    )
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/subscriptions/")
    row = f"#subscription-{subscription.public_id}"
    dialog = page.locator("dialog.confirm-dialog")

    page.select_option(f"{row} select[name$=status]", "unsubscribed")
    expect(dialog).to_be_visible()
    dialog.locator("button:text-is('Cancel')").click()
    expect(page.locator(f"{row} select[name$=status]")).to_have_value("subscribed")

    page.fill(f"{row} input[name$=priority]", "7")  # a priority alone goes at once
    page.press(f"{row} input[name$=priority]", "Tab")
    expect(page.locator("#messages")).to_contain_text("saved: subscribed, priority 7.")
    expect(dialog).to_be_hidden()

    page.fill(f"{row} input[name$=priority]", "1.5")
    page.press(f"{row} input[name$=priority]", "Tab")
    expect(page.locator(f"{row} .field-error")).to_contain_text(
        "Enter the priority as a whole number"
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("subscribed", 7)


def test_a_form_without_htmx_asks_in_the_same_dialog(page, live_server, profile):
    page.goto(f"{live_server.url}/profiles/")
    page.evaluate(
        """() => {
        const form = document.createElement("form");
        form.id = "plain";
        form.method = "get";
        form.action = "/profiles/";
        form.setAttribute("data-confirm", "Really search?");
        form.innerHTML = '<input type="hidden" name="q" value="confirmed"><button>Go</button>';
        document.querySelector("main").appendChild(form);
    }"""
    )
    dialog = page.locator("dialog.confirm-dialog")
    page.click("#plain button")
    expect(dialog.locator(".confirm-question")).to_have_text("Really search?")
    dialog.locator("button:text-is('Cancel')").click()
    expect(dialog).to_be_hidden()
    assert "q=confirmed" not in page.url
    page.click("#plain button")
    with page.expect_navigation():
        dialog.locator("button:text-is('Confirm')").click()
    assert "q=confirmed" in page.url
