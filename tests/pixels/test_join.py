"""Anonymous visitors' hits join a profile's history once the visitor is identified: by a form
submission (tests/webforms) or by an import row carrying the same anonymous_id."""

from datetime import timedelta

import pytest
from django.utils import timezone

from operations.pixels import join_anonymous_hits
from pixels.models import AnonymousHit
from tests.factories import ProfileDatabaseFactory
from tests.pixels.factories import AnonymousHitFactory, PixelFactory

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/profiles/import/"


def test_the_visitors_hits_become_pixel_events_at_their_times(profile, pixel):
    then = timezone.now() - timedelta(days=3)
    AnonymousHitFactory(
        pixel=pixel,
        anonymous_id="cookie-1",
        goal="purchase",
        value=12,
        occurred_at=then,
        referrer="https://news.example/",
        data={"cart": 3},
    )
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-1", ip="90.1.1.1")
    AnonymousHitFactory(pixel=pixel, anonymous_id="someone-else")
    assert join_anonymous_hits(profile, "cookie-1") == 2
    events = list(profile.events.filter(type="pixel").order_by("occurred_at"))
    assert events[0].occurred_at == then
    assert events[0].data == {
        "pixel": pixel.pk,
        "goal": "purchase",
        "value": 12.0,
        "url": "https://shop.example/p/1",
        "referrer": "https://news.example/",
        "pixel_data": {"cart": 3},
    }
    assert list(AnonymousHit.objects.values_list("anonymous_id", flat=True)) == ["someone-else"]
    profile.refresh_from_db()
    assert profile.country == "FR"  # the latest hit's IP located the profile
    assert join_anonymous_hits(profile, "cookie-1") == 0  # each hit joins once


def test_hits_on_pixels_of_another_database_stay(profile):
    other = PixelFactory(database=ProfileDatabaseFactory())
    AnonymousHitFactory(pixel=other, anonymous_id="cookie-1")
    assert join_anonymous_hits(profile, "cookie-1") == 0
    assert AnonymousHit.objects.count() == 1


def test_an_import_row_with_an_anonymous_id_joins_the_visitors_hits(
    api_client, bob, database, pixel
):
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-9")
    api_client.force_authenticate(bob)
    rows = [
        {"email": "new@example.com", "first_name": "Nia", "anonymous_id": "cookie-9"},
        {"email": "other@example.com", "anonymous_id": ["not", "text"]},
    ]
    body = {"database": database.pk, "match": "email", "profiles": rows}
    response = api_client.post(IMPORT, body, format="json")
    assert response.status_code == 200, response.json()
    first, second = response.json()["results"]
    assert first["status"] == "created"
    assert second["status"] == "error" and "anonymous_id" in second["errors"]
    profile = database.profiles.get(email="new@example.com")
    assert profile.events.filter(type="pixel").count() == 1
    assert not AnonymousHit.objects.exists()
    assert not database.profiles.filter(email="other@example.com").exists()


def test_an_import_row_updating_a_profile_joins_its_hits_too(
    api_client, bob, database, pixel, profile
):
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-3")
    api_client.force_authenticate(bob)
    rows = [{"email": profile.email, "anonymous_id": "cookie-3"}]
    response = api_client.post(
        IMPORT, {"database": database.pk, "match": "email", "profiles": rows}, format="json"
    )
    assert [row["status"] for row in response.json()["results"]] == ["updated"]
    assert profile.events.filter(type="pixel").count() == 1
