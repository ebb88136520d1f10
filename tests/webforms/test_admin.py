"""The admin of forms and submissions: scoped to the staff member's databases; a form's fields
checked by Form.clean; submissions read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.webforms.factories import FormFactory, SubmissionFactory
from webforms.models import Form

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(database):
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    page = Client()
    page.force_login(dana)
    return page


@pytest.mark.parametrize("model", ["form", "submission"])
def test_every_list_shows_only_the_staff_members_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "shown"), (hidden, "hidden")):
        form = FormFactory(database=db, name=f"{name} form")
        SubmissionFactory(form=form, profile=ProfileFactory(database=db))
    html = dana.get(reverse(f"admin:webforms_{model}_changelist")).content.decode()
    assert "shown form" in html and "hidden form" not in html


def test_a_form_whose_fields_map_to_nothing_is_refused_beside_them(dana, database):
    response = dana.post(
        reverse("admin:webforms_form_add"),
        {"name": "F", "database": database.pk, "fields": '[{"name": "shoe_size"}]'},
    )
    assert response.status_code == 200
    assert "not a profile field" in response.content.decode()
    assert not Form.objects.exists()


def test_submissions_are_read_only(dana, database):
    submission = SubmissionFactory(form=FormFactory(database=database))
    url = reverse("admin:webforms_submission_change", args=[submission.pk])
    html = dana.get(url).content.decode()
    assert "ann@example.com" in html and 'name="_save"' not in html
