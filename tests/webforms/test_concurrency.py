"""Submissions arriving at the same moment: one profile per email, each hit joined once."""

import pytest

from history.models import Event
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
