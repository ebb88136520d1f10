"""Shared fixtures: the cast of users, an API client and the browser.

alice   staff superuser with every permission
bob     marketer: may view, change and export profiles of the databases he is a member of,
        but not delete them
charlie logged in, no access to profiles
"""

import os
import shutil

import pytest
from django.contrib.auth.models import Permission
from django.db import connections
from rest_framework.test import APIClient

from tests.factories import ProfileDatabaseFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
MARKETER_PERMISSIONS = [
    "view_profile",
    "change_profile",
    "add_profile",
    "export_profile",
    "view_profiledatabase",
    "view_customfield",
    # Subscriptions: read, add and change, but not delete.
    "view_subscription",
    "add_subscription",
    "change_subscription",
    "view_resource",
    "view_channel",
    "view_category",
    # Segments: read them; putting profiles in and out is a change of the profile.
    "view_segment",
    # Interactions: read triggers, scenarios and the control group; send and engage by hand.
    "view_trigger",
    "view_scenario",
    "view_participation",
    "view_controlgroup",
    "send_trigger",
    "engage_scenario",
]


def pytest_configure(config):
    """Hash passwords with a fast hasher in tests: the production one (PBKDF2, a million
    iterations) takes 0.2 s a password, and most tests create users or log them in. Set
    for the whole session, before any fixture (module-scoped ones too) makes a user.
    Production keeps Django's default hashers."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _find_static_files_once()


def _find_static_files_once():
    """Each test client loads the middleware anew, and WhiteNoise's then lists and reads
    every static file the finders know (about 27 ms: more than most tests take, and most of
    the authorization matrix's time). Keep what the first one found, per static URL prefix;
    the files do not change during a run."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    find = WhiteNoiseMiddleware.add_files_from_finders
    found = {}

    def add_files_from_finders(self):
        if self.static_prefix not in found:
            own, self.files = self.files, {}
            find(self)
            found[self.static_prefix], self.files = self.files, own
        self.files.update(found[self.static_prefix])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {CHROMIUM} is not installed")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Start each test with empty API throttle counters (kept in the local cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def quick_password_reset(settings):
    """A password reset answers at once in tests (its floor is tested on its own)."""
    settings.PASSWORD_RESET_MIN_SECONDS = 0


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run at once, in the request (a test that starts a worker sets the
    database backend back)."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield settings.MEDIA_ROOT
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def lines_of(locator):
    """How many lines of text a browser element's content takes (the distinct tops of its
    text's boxes)."""
    return locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(rect => Math.round(rect.top))).size; }"
    )


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def database(db):
    return ProfileDatabaseFactory(name="Customers")


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_staff=True, is_superuser=True)


@pytest.fixture
def bob(db, database):
    bob = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(bob)
    return bob


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def as_alice(api_client, alice):
    """The API as alice (staff superuser)."""
    api_client.force_authenticate(alice)
    return api_client


@pytest.fixture
def as_bob(api_client, bob):
    """The API as bob (the marketer)."""
    api_client.force_authenticate(bob)
    return api_client


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
        # While Playwright's event loop runs, Django keeps this thread's database connections
        # per async context: the test's own would outlive it (PostgreSQL then refuses to drop
        # the test database, "being accessed by other users"). Close them while they are seen.
        connections.close_all()


FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def log_in(page, base_url, username, password=FACTORY_PASSWORD):
    """Log a browser page in through the login form (by default the factories' password)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/profiles/")


@pytest.fixture
def logged_in_page(browser, live_server, bob):
    """A browser page logged in as bob."""
    page = browser.new_page()
    log_in(page, live_server.url, "bob")
    yield page
    page.close()
