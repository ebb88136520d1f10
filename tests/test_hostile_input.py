"""Hostile input, item by item: each answers 4xx naming the limit or the parameter, stores
nothing, and nothing stored (even before a limit existed) breaks a page."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from history.models import Event
from profiles.models import Profile
from segments.models import Segment
from tests.factories import CustomFieldFactory, EventFactory, ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


def nested(levels):
    value = "bottom"
    for _ in range(levels):
        value = {"a": value}
    return value


# -- Sizes and depths ----------------------------------------------------------------------


def test_a_large_event_data_is_refused_naming_the_limit(as_bob, profile):
    event = {"profile_id": profile.profile_id, "type": "open", "data": {"note": "x" * 40_000}}
    response = as_bob.post("/api/v1/events/", event, format="json")
    assert response.status_code == 400
    assert "at most 32,768" in json.dumps(response.json())
    assert not Event.objects.filter(type="open").exists()


def test_event_data_nested_too_deeply_is_refused(as_bob, profile):
    event = {"profile_id": profile.profile_id, "type": "open", "data": nested(9)}
    response = as_bob.post("/api/v1/events/", event, format="json")
    assert response.status_code == 400
    assert "at most 8" in json.dumps(response.json())


def test_any_body_nested_past_the_limit_is_refused(as_bob, database):
    body = {"database": database.pk, "first_name": "Ann", "fields": nested(40)}
    response = as_bob.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 400
    assert "at most 32" in response.json()["detail"]
    assert not Profile.objects.exists()


@override_settings(MAX_REQUEST_BYTES=1000)
def test_a_body_past_the_size_limit_is_a_413_before_it_is_read(as_bob, database):
    body = {"database": database.pk, "first_name": "x" * 2000}
    response = as_bob.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 413
    assert "at most 1,000" in response.json()["detail"]
    assert not Profile.objects.exists()


def test_tags_past_the_count_limit_are_refused_at_once(as_bob, database):
    CustomFieldFactory(database=database, name="interests", type="tags")
    tags = ",".join(f"t{n}" for n in range(55_000))
    body = {"database": database.pk, "fields": {"interests": tags}}
    response = as_bob.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"fields": {"interests": ["Enter at most 1,000 tags."]}}


def test_a_thousand_tags_are_fine_and_stay_in_order(as_bob, database):
    CustomFieldFactory(database=database, name="interests", type="tags")
    tags = [f"t{n}" for n in range(990)]
    body = {"database": database.pk, "fields": {"interests": tags + tags[:10]}}
    response = as_bob.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 201
    assert response.json()["fields"]["interests"] == tags  # duplicates dropped, order kept


def test_enum_options_past_the_limit_are_refused(as_alice, database):
    options = [f"o{n}" for n in range(501)]
    body = {"database": database.pk, "name": "tier", "type": "enum", "options": options}
    response = as_alice.post("/api/v1/custom-fields/", body, format="json")
    assert response.status_code == 400
    assert response.json()["options"] == ["Enter at most 500 options."]


# -- A value stored before the limits: shown truncated, never whole, never a 500 ------------


def test_a_huge_stored_event_is_shown_truncated(client, bob, profile):
    EventFactory(profile=profile, type="open", data={"note": "y" * 500_000})
    client.force_login(bob)
    html = client.get(reverse("history:profile", args=[profile.profile_id])).content.decode()
    assert "more characters" in html
    assert "y" * 10_000 not in html


def test_a_stored_value_nested_too_deeply_breaks_no_page(client, alice, profile):
    event = EventFactory(profile=profile, type="open", data=nested(900))
    client.force_login(alice)
    urls = [
        reverse("history:profile", args=[profile.profile_id]),
        reverse("history:export", args=[profile.profile_id, "csv"]),
        reverse("history:export", args=[profile.profile_id, "json"]),
        reverse("profiles:export", args=[profile.profile_id]),
        f"/api/v1/profiles/{profile.profile_id}/history/",
        reverse("admin:history_event_changelist"),
        reverse("admin:history_event_change", args=[event.pk]),
    ]
    for url in urls:
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        assert response.status_code == 200, url
        assert b"too deep" in body or b"too deeply" in body, url


# -- Parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["until=0001-01-03", "since=0001-01-01T00:00:00%2B14:00", "until=9999-12-31"]
)
def test_a_moment_outside_the_years_history_holds_is_a_400(client, as_bob, bob, profile, query):
    api = as_bob.get(f"/api/v1/profiles/{profile.profile_id}/history/?{query}")
    assert api.status_code == 400
    name = query.split("=")[0]
    assert "Enter a moment from 1900-01-01" in api.json()[name][0]
    client.force_login(bob)
    export = client.get(reverse("history:export", args=[profile.profile_id, "csv"]) + f"?{query}")
    assert export.status_code == 400 and name in export.content.decode()
    page = client.get(reverse("history:profile", args=[profile.profile_id]) + f"?{query}")
    assert page.status_code == 200 and "Enter a moment from 1900-01-01" in page.content.decode()


def test_an_event_reported_at_a_moment_outside_the_years_is_refused(as_bob, profile):
    event = {"profile_id": profile.profile_id, "type": "open"}
    event["occurred_at"] = "0001-01-01T00:00:00+14:00"
    response = as_bob.post("/api/v1/events/", event, format="json")
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_a_forged_cursor_position_is_a_400_naming_the_cursor(as_bob, database, profile):
    segment = Segment.objects.create(name="VIP", database=database)
    for url in ["/api/v1/profiles/", f"/api/v1/segments/{segment.pk}/members/"]:
        response = as_bob.get(f"{url}?cursor=cD1hYmMmbz0w")  # p=abc&o=0
        assert response.status_code == 400, url
        assert "cursor" in response.json()


def test_more_phones_than_a_profile_holds_are_refused(as_bob, database):
    phones = [f"+1415555{n:04d}" for n in range(21)]
    body = {"database": database.pk, "phones": phones}
    response = as_bob.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"phones": ["Enter at most 20 phones."]}


def test_a_database_holds_a_bounded_number_of_tabs_of_its_own(database):
    for n in range(20):
        database.add_custom_tab(f"Tab {n}", ["email"])
    with pytest.raises(ValidationError) as error:
        database.add_custom_tab("One more", ["email"])
    assert error.value.message_dict == {"label": ["A database has at most 20 tabs of its own."]}


def test_a_form_encoded_body_repeating_phones_keeps_them_all(as_bob, database):
    body = {"database": database.pk, "phones": ["+14155550100", "+14155550101"]}
    response = as_bob.post("/api/v1/profiles/", body)  # multipart: the key repeated
    assert response.status_code == 201
    assert response.json()["phones"] == ["+14155550100", "+14155550101"]
