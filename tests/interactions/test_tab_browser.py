"""A marketer in a real browser, on a profile's Interactions tab: sends a trigger mailing and
engages the profile in a scenario, each answered in place."""

import pytest
from playwright.sync_api import expect

from history.models import Event
from interactions.models import Participation
from tests.factories import ProfileFactory
from tests.interactions.factories import ScenarioFactory, TriggerFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def until_settled(page, path, action):
    """Do the action, then wait for its htmx answer to be swapped in and processed."""
    with page.expect_response(lambda response: path in response.url):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def test_a_marketer_sends_a_trigger_and_engages_a_scenario_in_place(
    logged_in_page, live_server, database
):
    profile = ProfileFactory(database=database, first_name="Ann", last_name="Lee")
    trigger = TriggerFactory(database=database, name="Welcome")
    SubscriptionFactory(
        profile=profile,
        resource=trigger.resource,
        channel=trigger.channel,
        contact="ann@example.com",
    )
    ScenarioFactory(
        database=database,
        name="Onboarding",
        steps=[
            {"type": "send_trigger", "trigger": trigger.pk},
            {"type": "wait", "seconds": 86400},
            {"type": "exit"},
        ],
    )
    page = logged_in_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}{profile.get_absolute_url()}")
    page.evaluate("window.samePage = true")
    until_settled(page, "/interactions/", lambda: page.click("#section-tabs >> text=Interactions"))
    page.wait_for_url(f"**/profiles/{profile.profile_id}/interactions/**")
    part = page.locator("#part-triggers")
    expect(part).to_contain_text("No trigger mailing has been sent to this profile.")

    until_settled(page, "/triggers/send/", lambda: part.get_by_role("button", name="Send").click())
    expect(part.locator(".part-notice")).to_have_text("Sent “Welcome” to ann@example.com.")
    event = Event.objects.get(profile=profile, type="send")
    row = part.locator(f"tr[data-event='{event.pk}']")
    expect(row).to_contain_text("Welcome")
    expect(row).to_contain_text("Sent")

    scenarios = page.locator("#part-scenarios")
    scenarios.locator("select[name=scenario]").select_option(label="Onboarding")
    until_settled(
        page, "/scenarios/engage/", lambda: scenarios.get_by_role("button", name="Engage").click()
    )
    participation = Participation.objects.get(profile=profile)
    expect(scenarios.locator(".part-notice")).to_contain_text("Engaged in “Onboarding”")
    row = scenarios.locator(f"tr[data-participation='{participation.pk}']")
    expect(row).to_contain_text("Onboarding")
    expect(row).to_contain_text("Running")
    expect(row).to_contain_text("Step 3 of 3: Exit")
    expect(row).to_contain_text("2 steps done")
    # The scenario's own send joined the last sends, above the one sent by hand.
    expect(part.locator("tr[data-event]")).to_have_count(2)
    expect(part.locator("tr[data-event]").first).to_contain_text("scenario “Onboarding”")

    assert page.evaluate("window.samePage") is True  # swapped in place, never reloaded
    assert errors == []
