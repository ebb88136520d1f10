"""A marketer in a real browser: add a subscription (a bad address first), change it in place."""

import pytest

from subscriptions.models import Subscription
from tests.factories import ProfileFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    channel,
)
from web.subscriptions.views import SHOWN_PER_CHANNEL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until_settled(page, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: "/subscriptions/" in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def test_a_marketer_adds_a_subscription_and_changes_it_in_place(
    logged_in_page, live_server, database
):
    profile = ProfileFactory(database=database, first_name="Ada", last_name="Lovelace")
    ResourceFactory(name="App", channels=[channel("push")])
    website = ResourceFactory(name="Website", channels=[channel("email"), channel("sms")])
    CategoryFactory(resource=website, name="News")
    page = logged_in_page
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(f"{live_server.url}{profile.get_absolute_url()}")
    page.evaluate("window.samePage = true")
    until_settled(page, lambda: page.click("#section-tabs >> text=Subscriptions"))
    page.wait_for_url(f"**/profiles/{profile.profile_id}/subscriptions/**")
    page.wait_for_selector("#subscriptions >> text=This profile has no subscriptions.")
    # The form is read when it is opened.
    assert not page.locator("#subscription-add-form select").count()
    until_settled(page, lambda: page.click("#subscriptions summary:text-is('Add subscription')"))

    # resource → channel: choosing the resource loads its channels and categories.
    until_settled(
        page,
        lambda: page.select_option("#subscription-add-form select[name=resource]", label="Website"),
    )
    assert page.locator("#subscription-add-form select[name=channel] option[value=sms]").count()
    page.select_option("#subscription-add-form select[name=channel]", "email")
    page.check("#subscription-add-form label:has-text('News') input")

    page.fill("#subscription-add-form input[name=contact]", "not-an-address")
    until_settled(page, lambda: page.click("#subscription-add-form button[type=submit]"))
    error = page.wait_for_selector("#subscription-add-form .field-error")
    assert "Enter a valid email address" in error.inner_text()
    assert page.locator("#id_contact").get_attribute("aria-invalid") == "true"
    assert not Subscription.objects.exists()

    page.fill("#subscription-add-form input[name=contact]", "ann@example.com")
    until_settled(page, lambda: page.click("#subscription-add-form button[type=submit]"))
    row = page.wait_for_selector(".subscription[data-contact='ann@example.com']")
    subscription = Subscription.objects.get()
    assert subscription.categories.get().name == "News"
    assert "Receives" in row.inner_text()

    # Priority in place: type and leave the field (a change event); no page load.
    priority = f"#subscription-{subscription.public_id} input[name$=priority]"
    page.fill(priority, "5")
    until_settled(page, lambda: page.press(priority, "Tab"))
    subscription.refresh_from_db()
    assert subscription.priority == 5

    # Status in place, once confirmed in the styled dialog (static/js/confirm.js).
    status = f"#subscription-{subscription.public_id} select[name$=status]"
    page.select_option(status, "unsubscribed")
    until_settled(page, lambda: page.click("dialog.confirm-dialog .confirm-ok"))
    assert page.locator(f"#subscription-{subscription.public_id} .status-badge").inner_text() == (
        "Unsubscribed"
    )
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"
    assert f"/profiles/{profile.profile_id}/subscriptions/" in page.url
    assert page.evaluate("window.samePage") is True
    assert "Receives" not in page.locator(f"#subscription-{subscription.public_id}").inner_text()
    assert errors == []


def test_a_marketer_shows_all_of_a_channel_and_edits_a_loaded_row(
    logged_in_page, live_server, database
):
    profile = ProfileFactory(database=database)
    website = ResourceFactory(name="Website", channels=[channel("email"), channel("sms")])
    for n in range(8):
        SubscriptionFactory(
            profile=profile, resource=website, contact=f"p{n}@example.com", priority=n
        )
    SubscriptionFactory(
        profile=profile, resource=website, channel=channel("sms"), contact="+14155550100"
    )
    page = logged_in_page
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/profiles/{profile.profile_id}/subscriptions/")
    email_rows = "#subscriptions [data-channel=email] li.subscription"
    page.wait_for_selector(email_rows)
    assert page.locator(email_rows).count() == SHOWN_PER_CHANNEL

    until_settled(page, lambda: page.click("#subscriptions [data-channel=email] .show-all a"))
    assert page.locator(email_rows).count() == 8

    # A loaded row is edited in place like the others; its channel stays whole.
    last = Subscription.objects.get(contact="p7@example.com")
    priority = f"#subscription-{last.public_id} input[name$=priority]"
    page.fill(priority, "30")
    until_settled(page, lambda: page.press(priority, "Tab"))
    last.refresh_from_db()
    assert last.priority == 30
    assert page.locator(email_rows).count() == 8

    # A change in another channel keeps the opened one whole too.
    other = Subscription.objects.get(contact="+14155550100")
    priority = f"#subscription-{other.public_id} input[name$=priority]"
    page.fill(priority, "4")
    until_settled(page, lambda: page.press(priority, "Tab"))
    other.refresh_from_db()
    assert other.priority == 4
    assert page.locator(email_rows).count() == 8
    assert errors == []
