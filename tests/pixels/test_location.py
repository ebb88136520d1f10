"""Location from events: an event's data.ip (or a pixel hit's ip) updates the profile's
Tracked fields offline, and never leaves a city or a map pin of another country."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from history.models import Event
from operations.location import update_location_from_ip
from profiles.location import zone_of_country
from profiles.models import Profile
from tests.conftest import grant
from tests.pixels.factories import GoalFactory, PixelFactory

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


# -- The same location on every path -------------------------------------------------------
# An IP gives the Tracked values of events/ (above) whichever way it reaches the profile.

GB_IP, US_IP = "81.2.69.142", "8.8.8.8"


@pytest.fixture
def as_alice(api_client, alice):
    api_client.force_authenticate(alice)
    return api_client


def by_event(client, profile, ip):
    return client.post(EVENTS, click(profile, ip), format="json")


def by_pixel_hit(client, profile, ip):
    pixel = PixelFactory(database=profile.database)
    GoalFactory(pixel=pixel, name="view")
    body = {"goal": "view", "ip": ip, "profile_id": profile.profile_id}
    return client.post(f"/api/v1/pixels/{pixel.pk}/hit/", body, format="json")


def by_import_row(client, profile, ip):
    body = {
        "database": profile.database.pk,
        "match": "email",
        "profiles": [{"email": profile.email, "ip": ip}],
    }
    response = client.post("/api/v1/profiles/import/", body, format="json")
    assert response.json()["results"][0]["status"] in ("created", "updated"), response.json()
    return response


def by_file_import(client, profile, ip):
    body = {
        "database": profile.database.pk,
        "file": SimpleUploadedFile("people.csv", f"email;ip\n{profile.email};{ip}\n".encode()),
        "mapping": json.dumps({"email": "email", "ip": "ip"}),
        "detect_location": "true",
    }
    response = client.post("/api/v1/imports/", body, format="multipart")
    follow = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert (follow["created"] + follow["updated"], follow["errors"]) == (1, 0), follow
    return response


def by_profile_api(client, profile, ip):
    url = f"/api/v1/profiles/{profile.profile_id}/"
    return client.patch(url, {"ip": ip}, format="json")


PATHS = [by_event, by_pixel_hit, by_import_row, by_file_import, by_profile_api]


def tracked(profile):
    profile.refresh_from_db()
    return (profile.ip, profile.country, profile.timezone, profile.city, profile.latitude)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_an_ip_of_another_country_sets_the_same_location_on_every_path(path, as_alice, profile):
    profile.country, profile.city, profile.timezone = "US", "Boston", "America/New_York"
    profile.latitude, profile.longitude = Decimal("42.36"), Decimal("-71.06")
    profile.save()
    assert path(as_alice, profile, GB_IP).status_code < 300
    assert tracked(profile) == (GB_IP, "GB", "Europe/London", "", None)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_an_ip_of_a_country_with_many_time_zones_leaves_none_on_every_path(path, as_alice, profile):
    profile.country, profile.city, profile.timezone = "GB", "London", "Europe/London"
    profile.save()
    assert path(as_alice, profile, US_IP).status_code < 300
    assert tracked(profile) == (US_IP, "US", "", "", None)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_an_ip_of_the_same_country_keeps_the_place_on_every_path(path, as_alice, profile):
    profile.country, profile.city, profile.timezone = "GB", "London", "Europe/London"
    profile.save()
    assert path(as_alice, profile, "81.2.69.160").status_code < 300
    assert tracked(profile) == ("81.2.69.160", "GB", "Europe/London", "London", None)


@pytest.mark.parametrize("path", [by_import_row, by_file_import], ids=lambda path: path.__name__)
def test_a_new_profile_imported_with_an_ip_gets_the_events_location(path, as_alice, database):
    new = Profile(database=database, email="new@example.com")  # not saved: the import makes it
    assert path(as_alice, new, GB_IP).status_code < 300
    created = Profile.objects.get(email="new@example.com")
    assert (created.country, created.timezone) == ("GB", "Europe/London")


def test_a_profile_created_over_the_api_with_an_ip_gets_the_events_location(as_alice, database):
    body = {"database": database.pk, "email": "new@example.com", "ip": GB_IP}
    response = as_alice.post("/api/v1/profiles/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["country"], response.json()["timezone"]) == ("GB", "Europe/London")


def test_values_the_row_gives_win_over_what_the_ip_says(as_alice, profile):
    profile.country, profile.city = "US", "Boston"
    profile.save()
    body = {
        "database": profile.database.pk,
        "match": "email",
        "profiles": [{"email": profile.email, "ip": GB_IP, "city": "Leeds"}],
    }
    as_alice.post("/api/v1/profiles/import/", body, format="json")
    profile.refresh_from_db()
    assert (profile.country, profile.timezone, profile.city) == ("GB", "Europe/London", "Leeds")
