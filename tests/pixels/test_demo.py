"""The demo data of forms and pixels (seed_demo's seed_pixels and seed_forms)."""

import io

import pytest
from django.core.management import call_command

from history.models import Event
from pixels.models import AnonymousHit, Pixel
from webforms.models import Form, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", "--profiles", "120", stdout=io.StringIO())


def test_the_store_has_a_pixel_whose_goals_its_pixel_events_name(seeded):
    pixel = Pixel.objects.get(database__name="Online store")
    goals = set(pixel.goals.values_list("name", flat=True))
    reached = {
        event.data["goal"]
        for event in Event.objects.filter(type="pixel", profile__database=pixel.database)
    }
    assert reached and reached <= goals
    assert AnonymousHit.objects.filter(pixel=pixel).count() >= 12  # visitors not yet known


def test_the_store_has_forms_with_submissions_and_their_events(seeded):
    forms = Form.objects.filter(database__name="Online store")
    assert set(forms.values_list("name", flat=True)) == {
        "Newsletter sign-up",
        "Back-in-stock alert",
    }
    for form in forms:
        form.full_clean()  # every field maps to one the database has
    submissions = Submission.objects.select_related("profile", "form")
    assert submissions.exists()
    for submission in submissions:
        assert submission.data["email"] == submission.profile.email
        event = submission.profile.events.get(type="form_submitted", data__submission=submission.pk)
        assert event.data["form"] == submission.form.name
