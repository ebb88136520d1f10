"""Submissions arriving at the same moment: one profile per email, each hit joined once,
also when an import creates the profile meanwhile."""

import threading
import time

import pytest
from django.db import connection, transaction

from history.models import Event
from operations.imports import Matcher, import_rows
from operations.webforms import submit
from pixels.models import AnonymousHit
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory
from tests.pixels.factories import AnonymousHitFactory, PixelFactory
from tests.webforms.factories import FormFactory
from webforms.models import Submission

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 6


def test_concurrent_submissions_of_a_new_email_make_one_profile():
    form = FormFactory(database=ProfileDatabaseFactory())

    errors = run_together(
        THREADS, lambda n: submit(form, {"email": "ann@example.com", "name": f"Ann {n}"})
    )

    assert errors == []
    assert Profile.objects.filter(email="ann@example.com").count() == 1
    assert Submission.objects.count() == THREADS


def test_a_visitor_identified_twice_at_once_joins_each_hit_once():
    database = ProfileDatabaseFactory()
    form = FormFactory(database=database)
    pixel = PixelFactory(database=database)
    for _ in range(5):
        AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-1")

    errors = run_together(
        THREADS,
        lambda n: submit(form, {"email": "ann@example.com"}, anonymous_id="cookie-1"),
    )

    assert errors == []
    assert Event.objects.filter(type="pixel").count() == 5
    assert not AnonymousHit.objects.exists()


def test_a_submission_of_an_email_an_import_creates_meanwhile_updates_that_profile():
    database = ProfileDatabaseFactory()
    form = FormFactory(database=database)
    imported, release = threading.Event(), threading.Event()

    def hold_import():
        try:
            with transaction.atomic():
                matcher = Matcher.parse(database, "email")
                import_rows(database, [{"email": "ann@example.com"}], matcher=matcher)
                imported.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    results = []

    def submit_form():
        try:
            results.append(submit(form, {"email": "ann@example.com", "name": "Ann"}))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_import)
    holder.start()
    assert imported.wait(timeout=30)
    submitter = threading.Thread(target=submit_form)
    submitter.start()
    time.sleep(0.5)  # its insert waits on the import's uncommitted email
    release.set()
    holder.join()
    submitter.join(timeout=30)

    assert [result.created for result in results] == [False]
    assert Profile.objects.filter(email="ann@example.com").count() == 1
    assert Submission.objects.get().profile == Profile.objects.get(email="ann@example.com")
