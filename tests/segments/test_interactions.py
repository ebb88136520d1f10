"""The Interactions section: static segments of a profile, added and removed by hand."""

import pytest
from django.urls import reverse

from history.models import Event
from segments.models import Segment, SegmentMembership
from tests.factories import ProfileDatabaseFactory, ProfileFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


@pytest.fixture
def segment(database):
    return Segment.objects.create(name="VIP", database=database)


def add_url(profile):
    return reverse("segments:add", args=[profile.profile_id])


def remove_url(profile, segment):
    return reverse("segments:remove", args=[profile.profile_id, segment.pk])


def test_it_lists_the_segments_the_profile_is_in(client, bob, profile, segment, database):
    SegmentMembership.objects.create(segment=segment, profile=profile)
    Segment.objects.create(name="Newsletter", database=database)
    client.force_login(bob)
    response = client.get(reverse("segments:profile", args=[profile.profile_id]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "VIP" in html and "Remove</button>" in html
    assert '<option value="' in html and "Newsletter" in html
    assert "No trigger mailing has been sent to this profile." in html


def test_it_adds_the_profile_to_a_segment_and_records_the_entry(client, bob, profile, segment):
    client.force_login(bob)
    response = client.post(add_url(profile), {"segment": segment.pk}, **HTMX)
    assert response.status_code == 200 and "VIP" in response.content.decode()
    assert list(profile.segments.all()) == [segment]
    event = Event.objects.get(profile=profile, type="segment_entered")
    assert event.data == {"segment": segment.pk, "name": "VIP"}


def test_it_removes_the_profile_from_a_segment_and_records_the_exit(client, bob, profile, segment):
    SegmentMembership.objects.create(segment=segment, profile=profile)
    client.force_login(bob)
    response = client.post(remove_url(profile, segment), **HTMX)
    assert "The profile is in no static segment." in response.content.decode()
    assert not profile.segments.exists()
    assert Event.objects.filter(profile=profile, type="segment_exited").count() == 1


def test_it_refuses_a_segment_of_another_database(client, bob, profile):
    foreign = Segment.objects.create(name="Other", database=ProfileDatabaseFactory())
    client.force_login(bob)
    response = client.post(add_url(profile), {"segment": foreign.pk}, **HTMX)
    assert "Choose a segment of this profile&#x27;s database." in response.content.decode()
    assert not profile.segments.exists()
    assert not Event.objects.filter(type="segment_entered").exists()
    assert client.post(remove_url(profile, foreign), **HTMX).status_code == 404


def test_it_redirects_to_the_section_without_htmx(client, bob, profile, segment):
    client.force_login(bob)
    response = client.post(add_url(profile), {"segment": segment.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:profile", args=[profile.profile_id])


def test_it_refuses_users_who_may_not_change_the_profile(client, charlie, bob, profile, segment):
    client.force_login(charlie)
    assert client.post(add_url(profile), {"segment": segment.pk}).status_code == 403
    stranger = ProfileFactory()
    client.force_login(bob)
    assert client.post(add_url(stranger), {"segment": segment.pk}).status_code == 404
    assert not SegmentMembership.objects.exists()


def test_it_rejects_get_on_the_changes(client, bob, profile, segment):
    client.force_login(bob)
    assert client.get(add_url(profile)).status_code == 405
    assert client.get(remove_url(profile, segment)).status_code == 405
