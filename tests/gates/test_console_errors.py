"""No console errors anywhere: every kind of page, and the htmx actions a marketer clicks.

The strict Content Security Policy refuses any inline script, inline ``<style>`` without the
response's nonce and every ``style`` attribute (htmx's own indicator styles included); each
refusal is a console error. So is a failed resource (a missing stylesheet, a 404 favicon, a
broken avatar) and any uncaught script error: the walk fails on the first page that has one.
"""

import base64
from io import StringIO
from urllib.parse import urljoin

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from jobs.models import Job
from profiles.models import Profile, ProfileDatabase
from subscriptions.models import Subscription
from tests import conftest

pytestmark = [pytest.mark.browser, pytest.mark.gates, pytest.mark.django_db(transaction=True)]


# A 1x1 PNG: the avatar the header, the admin and the API show.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
# The image's width once it has loaded (decode() fails if it cannot be).
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"
SETTLED = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


class Console:
    """The console errors and uncaught page errors of a page, with the URL they came on."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append((page.url, f"page error: {error}")))

    def _console(self, message):
        if message.type == "error":
            location = message.location.get("url", "")
            self.errors.append((self.page.url, f"{message.text} ({location})"))

    def visit(self, url, status=200):
        """Open the page; an error page (``status``) may log its own status, nothing else."""
        response = self.page.goto(url)
        assert response.status == status, f"{url} answered {response.status}"
        self.settle()
        if status != 200:
            own = f"the server responded with a status of {status}"
            self.errors = [
                error for error in self.errors if not (own in error[1] and f"({url})" in error[1])
            ]
        return response

    def settle(self):
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_function(SETTLED)


@pytest.fixture
def demo(bob, alice):
    """The demo data (seed_demo: every section has something to show), bob and alice members
    of its databases, and a profile with subscriptions, history and an avatar."""
    call_command("seed_demo", profiles=30, stdout=StringIO())
    for database in ProfileDatabase.objects.all():
        database.members.add(bob, alice)
    profile = (
        Profile.objects.filter(subscriptions__isnull=False, events__isnull=False)
        .order_by("pk")
        .first()
    )
    profile.avatar.save("avatar.png", ContentFile(PNG))
    Job.objects.create(
        kind="export", created_by=bob, database=profile.database, status="running", total=8
    )
    return profile


def log_in(browser, live_server, username):
    page = browser.new_page()
    console = Console(page)
    conftest.log_in(page, live_server.url, username)
    return page, console


def hrefs(page, selector):
    """The absolute URLs the links matching ``selector`` lead to, in page order, once each."""
    found = page.eval_on_selector_all(selector, "links => links.map(link => link.href)")
    return list(dict.fromkeys(found))


def test_every_page_a_marketer_opens_is_free_of_console_errors(browser, live_server, demo):
    page, console = log_in(browser, live_server, "bob")
    profile_url = f"{live_server.url}{demo.get_absolute_url()}"
    console.visit(f"{live_server.url}/profiles/")
    console.visit(profile_url)
    expect(page.locator("#profile-header img")).to_have_count(1)
    assert page.locator("#profile-header img").evaluate(LOADED_WIDTH) == 1

    data_tabs = hrefs(page, "#data-tabs a[href*='tab=']")
    sections = hrefs(page, "#section-tabs a")
    assert len(data_tabs) >= 3, data_tabs
    assert len(sections) >= 4, sections
    edit_forms = 0
    for url in data_tabs:  # each data tab, and its edit form
        console.visit(url)
        edit = page.locator("#tab-content a:text-is('Edit')")
        if edit.count():
            console.visit(urljoin(page.url, edit.first.get_attribute("href")))
            expect(page.locator("#tab-content form")).to_have_count(1)
            edit_forms += 1
    assert edit_forms >= 3
    for url in sections:
        console.visit(url)
    console.visit(urljoin(profile_url, "tabs/"))
    console.visit(urljoin(profile_url, "changes/"))
    console.visit(f"{live_server.url}/jobs/")
    console.visit(f"{live_server.url}{reverse('jobs:detail', args=[Job.objects.get().pk])}")
    console.visit(f"{live_server.url}{reverse('imports:new')}")

    console.visit(f"{live_server.url}/api/v1/")
    expect(page.locator(".response-info")).to_contain_text("/api/v1/profiles/")
    console.visit(f"{live_server.url}/api/v1/profiles/")
    expect(page.locator(".response-info")).to_contain_text(demo.profile_id)
    console.visit(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info")).to_contain_text("Profiles API")
    page.locator(".opblock-summary").first.click()  # open an operation's details
    expect(page.locator(".opblock-body").first).to_be_visible()

    # The error pages, in the app's layout (bob may not delete a profile).
    console.visit(f"{live_server.url}/no-such-page/", status=404)
    expect(page.locator("h1")).to_have_text("Page not found")
    console.visit(urljoin(profile_url, "delete/"), status=403)
    expect(page.locator("h1")).to_have_text("You may not open this page")
    page.close()
    assert console.errors == []


def test_the_admin_pages_are_free_of_console_errors(browser, live_server, demo):
    page, console = log_in(browser, live_server, "alice")
    console.visit(f"{live_server.url}/admin/")
    console.visit(f"{live_server.url}{reverse('admin:profiles_profile_changelist')}")
    console.visit(f"{live_server.url}{reverse('admin:subscriptions_subscription_changelist')}")
    console.visit(f"{live_server.url}{reverse('admin:audit_auditentry_changelist')}")  # read-only
    subscription = demo.subscriptions.order_by("pk").first()
    console.visit(
        f"{live_server.url}"
        f"{reverse('admin:subscriptions_subscription_change', args=[subscription.pk])}"
    )
    console.visit(f"{live_server.url}{reverse('admin:profiles_profile_change', args=[demo.pk])}")
    preview = page.locator(".field-avatar_preview img")
    expect(preview).to_have_count(1)
    assert preview.evaluate(LOADED_WIDTH) == 1
    page.close()
    assert console.errors == []


def test_the_htmx_actions_are_free_of_console_errors(browser, live_server, demo):
    page, console = log_in(browser, live_server, "bob")
    console.visit(f"{live_server.url}{demo.get_absolute_url()}")

    # Switch a data tab, then a section.
    page.click("#data-tabs >> text=Personal")
    page.wait_for_url("**?tab=personal")
    console.settle()
    page.click("#section-tabs >> text=Subscriptions")
    page.wait_for_url(f"**{demo.get_absolute_url()}subscriptions/**")
    console.settle()

    # Open the tab's form and save a field.
    page.click("#tab-content a:text-is('Edit')")
    page.wait_for_selector("input[name=middle_name]")
    page.fill("input[name=middle_name]", "Quietly")
    page.click("#tab-content button[type=submit]")
    page.wait_for_selector("#tab-content dd:text-is('Quietly')")
    console.settle()

    # Change a subscription's status in place.
    subscription = demo.subscriptions.order_by("pk").first()
    new_status = "unsubscribed" if subscription.status != "unsubscribed" else "subscribed"
    status = f"#subscription-{subscription.public_id} select[name$=status]"
    page.select_option(status, new_status)
    with page.expect_response(lambda response: "/subscriptions/" in response.url):
        # A status change is confirmed in the page's own dialog first (never a native one).
        page.click("dialog[open] button[value=confirm]")
    console.settle()
    assert Subscription.objects.get(pk=subscription.pk).status == new_status

    demo.refresh_from_db()
    assert demo.middle_name == "Quietly"
    page.close()
    assert console.errors == []
