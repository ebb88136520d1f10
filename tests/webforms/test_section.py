"""The Data section's forms part: the forms the profile filled in, each opening all the data
submitted (escaped); hidden from who may not view submissions; bounded queries."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileFactory, UserFactory
from tests.webforms.factories import SubmissionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ann@example.com")


def data_url(profile):
    return reverse("profiles:data", args=[profile.profile_id])


def test_it_lists_the_forms_filled_in_and_opens_each_submission(client, marketer, form, profile):
    SubmissionFactory(
        form=form,
        profile=profile,
        data={"email": "ann@example.com", "name": "<b>Ann</b>", "consent": True},
        utm={"utm_source": "newsletter"},
        anonymous_id="cookie-1",
    )
    client.force_login(marketer)
    html = client.get(data_url(profile)).content.decode()
    part = html[html.index('id="part-forms"') :]
    part = part[: part.index("</section>")]
    assert "Sign-up" in part and '<details class="submission-data">' in part
    assert "&lt;b&gt;Ann&lt;/b&gt;" in part and "<b>Ann</b>" not in part
    assert 'consent <span class="muted">(not mapped)</span>' in part
    assert "newsletter" in part and "cookie-1" in part


def test_it_says_when_no_form_was_filled_in(client, marketer, profile):
    client.force_login(marketer)
    assert "No forms filled in yet." in client.get(data_url(profile)).content.decode()


def test_submissions_are_hidden_from_who_may_not_view_them(database, form, profile):
    SubmissionFactory(form=form, profile=profile, data={"email": "secret@example.com"})
    reader = grant(UserFactory(), *MARKETER_PERMISSIONS)  # may view profiles, not submissions
    database.members.add(reader)
    page = Client()
    page.force_login(reader)
    html = page.get(data_url(profile)).content.decode()
    assert "You may not see form submissions." in html
    assert "secret@example.com" not in html


def test_the_part_reads_as_many_rows_whatever_was_submitted(
    client, marketer, form, profile, django_assert_max_num_queries
):
    client.force_login(marketer)
    client.get(data_url(profile), **HTMX)

    def queries():
        with django_assert_max_num_queries(60) as captured:
            assert client.get(data_url(profile), **HTMX).status_code == 200
        return len(captured)

    SubmissionFactory(form=form, profile=profile)
    few = queries()
    SubmissionFactory.create_batch(25, form=form, profile=profile)
    assert queries() == few
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert html.count('<details class="submission-data">') == 20
