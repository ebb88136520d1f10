"""Location from events: an event's data.ip (or a pixel hit's ip) updates the profile's
Tracked fields offline, and never leaves a city or a map pin of another country."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from history.models import Event
from operations.location import update_location_from_ip, zone_of_country
from tests.conftest import grant

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


@pytest.fixture
def reporter(api_client, bob):
    api_client.force_authenticate(grant(bob, "add_event", "view_event"))
    return api_client


def click(profile, ip, **extra):
    data = {"url": "https://shop.example/a", "ip": ip}
    return {"profile_id": profile.profile_id, "type": "click", "data": data, **extra}


def test_a_click_reported_with_an_ip_changes_the_profiles_country(reporter, profile):
    profile.country, profile.city, profile.region, profile.zip_code = "US", "Boston", "MA", "02110"
    profile.latitude, profile.longitude = Decimal("42.36"), Decimal("-71.06")
    profile.timezone = "America/New_York"
    profile.save()
    response = reporter.post(EVENTS, click(profile, "81.2.69.160"), format="json")
    assert response.status_code == 201, response.json()
    profile.refresh_from_db()
    assert (profile.ip, profile.country, profile.timezone) == ("81.2.69.160", "GB", "Europe/London")
    # Boston and its pin described another country: no pin contradicts the new one.
    assert (profile.city, profile.region, profile.zip_code) == ("", "", "")
    assert profile.latitude is None and profile.longitude is None


def test_a_batch_of_plain_events_with_an_ip_locates_the_profile_too(reporter, profile):
    items = [
        {"profile_id": profile.profile_id, "type": "open", "data": {"ip": "8.8.8.8"}},
        {"profile_id": profile.profile_id, "type": "delivery"},
    ]
    response = reporter.post(EVENTS, items, format="json")
    assert response.status_code in (200, 201, 207), response.json()
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == ("8.8.8.8", "US")
    assert profile.timezone == ""  # the United States have many: none is guessed


def test_the_same_country_keeps_the_city_and_the_pin(reporter, profile):
    profile.country, profile.city = "GB", "London"
    profile.latitude, profile.longitude = Decimal("51.5074"), Decimal("-0.1278")
    profile.save()
    reporter.post(EVENTS, click(profile, "81.2.69.160"), format="json")
    profile.refresh_from_db()
    assert (profile.country, profile.city, profile.timezone) == ("GB", "London", "Europe/London")
    assert profile.latitude == Decimal("51.507400")


def test_an_event_older_than_the_latest_located_one_changes_nothing(reporter, profile):
    reporter.post(EVENTS, click(profile, "90.1.1.1"), format="json")
    earlier = (timezone.now() - timedelta(days=2)).isoformat()
    reporter.post(EVENTS, click(profile, "81.2.69.160", occurred_at=earlier), format="json")
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == ("90.1.1.1", "FR")


def test_a_bad_ip_in_an_events_data_is_refused_naming_it(reporter, profile):
    response = reporter.post(EVENTS, click(profile, "999.1.1.1"), format="json")
    assert response.status_code == 400
    assert "ip" in str(response.json())
    assert not Event.objects.filter(type="click").exists()
    profile.refresh_from_db()
    assert profile.ip is None


def test_an_address_located_nowhere_changes_the_ip_only(profile):
    profile.country = "FR"
    profile.save()
    assert update_location_from_ip(profile, "10.0.0.7") == ["ip"]
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == ("10.0.0.7", "FR")


def test_a_time_zone_is_set_only_for_a_country_with_one():
    assert zone_of_country("FR") == "Europe/Paris"
    assert zone_of_country("US") == ""
    assert zone_of_country("") == ""


def test_the_event_types_document_the_ip_key(reporter):
    types = {item["slug"]: item for item in reporter.get(EVENTS + "types/").json()}
    assert types["click"]["data"]["ip"]["type"] == "ip"
