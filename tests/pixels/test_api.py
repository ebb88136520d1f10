"""pixels/ and pixels/{id}/hit/: pixels with goals, hits of known profiles and anonymous ones."""

from decimal import Decimal

import pytest

from history.models import Event
from pixels.models import AnonymousHit, Goal, Pixel
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.pixels.factories import AnonymousHitFactory, GoalFactory, PixelFactory

pytestmark = pytest.mark.django_db

PIXELS = "/api/v1/pixels/"


def hit_url(pixel):
    return f"{PIXELS}{pixel.pk}/hit/"


def hit(client, pixel, **body):
    return client.post(hit_url(pixel), body, format="json")


# -- pixels/ -------------------------------------------------------------------------------


def test_it_creates_a_pixel_with_its_goals(client, database):
    body = {
        "name": "Shop",
        "database": database.pk,
        "goals": [{"name": "purchase", "value": 19.9}, {"name": "view"}],
    }
    response = client.post(PIXELS, body, format="json")
    assert response.status_code == 201, response.json()
    pixel = Pixel.objects.get(name="Shop")
    assert {g.name: g.value for g in pixel.goals.all()} == {
        "purchase": Decimal("19.90"),
        "view": Decimal("0.00"),
    }
    answer = client.get(f"{PIXELS}{pixel.pk}/").json()
    assert answer["goals"] == [{"name": "purchase", "value": 19.9}, {"name": "view", "value": 0.0}]


def test_a_write_with_goals_replaces_them_by_name(client, pixel):
    purchase = pixel.goals.get(name="purchase")
    response = client.patch(
        f"{PIXELS}{pixel.pk}/",
        {"goals": [{"name": "purchase", "value": 30}, {"name": "signup", "value": 1}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert sorted(pixel.goals.values_list("name", flat=True)) == ["purchase", "signup"]
    purchase.refresh_from_db()  # the same row, its value changed
    assert purchase.value == Decimal("30.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"goals": [{"name": "a"}, {"name": "a"}]}, "goals"),
        ({"goals": [{"name": "a", "value": "12"}]}, "goals"),
        ({"goals": [{"name": "a", "value": 10**12}]}, "goals"),
        ({"goals": [{"name": "a", "colour": "red"}]}, "goals"),
        ({"name": "Taken"}, "name"),
        ({"name": 5}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_it_refuses_a_bad_pixel_naming_the_field(client, database, body, field):
    PixelFactory(database=database, name="Taken")
    response = client.post(PIXELS, {"name": "New", "database": database.pk, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Pixel.objects.filter(name="New").exists()
    assert not Goal.objects.exists()


def test_a_pixel_cannot_move_to_another_database(client, pixel, marketer):
    other = ProfileDatabaseFactory()
    other.members.add(marketer)
    response = client.patch(f"{PIXELS}{pixel.pk}/", {"database": other.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()


def test_pixels_of_other_databases_do_not_exist_for_the_user(client, pixel):
    hidden = PixelFactory(database=ProfileDatabaseFactory())
    names = [row["name"] for row in client.get(PIXELS).json()["results"]]
    assert names == ["Shop site"]
    assert client.get(f"{PIXELS}{hidden.pk}/").status_code == 404
    assert hit(client, hidden, goal="view", anonymous_id="v").status_code == 404
    assert not AnonymousHit.objects.exists()


def test_it_needs_the_model_permissions(api_client, bob, pixel):
    api_client.force_authenticate(bob)  # a marketer without the pixels' permissions
    assert api_client.get(PIXELS).status_code == 403
    assert hit(api_client, pixel, goal="view", anonymous_id="v").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(PIXELS).status_code in (401, 403)


# -- pixels/{id}/hit/ ----------------------------------------------------------------------


def test_a_hit_of_a_profile_records_a_pixel_event_with_all_it_carries(client, pixel, profile):
    response = hit(
        client,
        pixel,
        goal="purchase",
        value=42.5,
        url="https://shop.example/checkout",
        referrer="https://news.example/story",
        ip="81.2.69.160",
        profile_id=profile.profile_id,
        data={"order": "A-17", "items": [1, 2]},
    )
    assert response.status_code == 201, response.json()
    event = Event.objects.get(type="pixel")
    assert response.json() == {
        "event_id": event.pk,
        "anonymous": False,
        "hit_id": None,
        "joined": 0,
    }
    assert event.profile == profile
    assert event.data == {
        "pixel": pixel.pk,
        "goal": "purchase",
        "value": 42.5,
        "url": "https://shop.example/checkout",
        "referrer": "https://news.example/story",
        "ip": "81.2.69.160",
        "geo": {"country": "GB"},
        "pixel_data": {"order": "A-17", "items": [1, 2]},
    }


def test_a_hit_without_a_value_takes_the_goals(client, pixel, profile):
    response = hit(client, pixel, goal="purchase", profile_id=profile.profile_id)
    assert response.status_code == 201
    assert Event.objects.get(type="pixel").data["value"] == 25.0


def test_a_hit_of_an_anonymous_visitor_is_kept_until_it_is_known(client, pixel):
    response = hit(
        client, pixel, goal="view", anonymous_id="cookie-1", url="https://shop.example/p/1"
    )
    assert response.status_code == 201, response.json()
    stored = AnonymousHit.objects.get()
    assert response.json() == {
        "event_id": None,
        "anonymous": True,
        "hit_id": stored.pk,
        "joined": 0,
    }
    assert (stored.anonymous_id, stored.goal, stored.url) == ("cookie-1", "view", stored.url)
    assert not Event.objects.filter(type="pixel").exists()


@pytest.mark.parametrize(
    "address",
    [
        "/checkout",
        "https://shop/x",
        "checkout?step=2#pay",
        "//cdn.example/p",
        "/my page/é",
        "javascript:alert(1)",
        pytest.param("/" + "p" * 8191, id="8192-characters"),
    ],
)
def test_a_page_reports_its_address_as_it_knows_it(client, pixel, profile, address):
    response = hit(
        client,
        pixel,
        goal="view",
        url=address,
        referrer=address,
        profile_id=profile.profile_id,
    )
    assert response.status_code == 201, response.json()
    event = Event.objects.get(type="pixel")
    assert (event.data["url"], event.data["referrer"]) == (address, address)
    response = hit(client, pixel, goal="view", url=f" {address} ", anonymous_id="cookie-1")
    assert response.status_code == 201, response.json()
    assert AnonymousHit.objects.get().url == address  # trimmed


def test_an_event_of_type_pixel_takes_a_relative_url_too(client, profile):
    body = {"profile_id": profile.profile_id, "type": "pixel", "data": {"goal": "view"}}
    body["data"] |= {"url": "/checkout", "referrer": "https://intranet/home"}
    response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Event.objects.get(type="pixel").data["url"] == "/checkout"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"goal": "unknown"}, "goal"),
        ({"goal": 7}, "goal"),
        ({"value": "12"}, "value"),
        ({"value": True}, "value"),
        ({"url": 5}, "url"),
        ({"referrer": ["https://shop.example/"]}, "referrer"),
        ({"url": "/check\x00out"}, "url"),
        ({"url": "/check\nout"}, "url"),
        ({"referrer": "/a\tb"}, "referrer"),
        ({"url": "   "}, "url"),
        pytest.param({"url": "/" + "p" * 8192}, "url", id="8193-characters"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"data": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}, "data"),
        ({"anonymous_id": "   "}, "anonymous_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_hit_is_refused_naming_the_field_and_records_nothing(client, pixel, body, field):
    response = hit(client, pixel, **{"goal": "view", "anonymous_id": "v", **body})
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not AnonymousHit.objects.exists()
    assert not Event.objects.filter(type="pixel").exists()


def test_an_unknown_goal_names_the_pixels_goals(client, pixel, profile):
    response = hit(client, pixel, goal="signup", profile_id=profile.profile_id)
    assert response.status_code == 400
    assert "purchase, view" in response.json()["goal"][0]
    assert not Event.objects.filter(type="pixel").exists()


def test_a_hit_for_an_unknown_pixel_is_a_404(client):
    assert client.post(f"{PIXELS}999999/hit/", {"goal": "view"}, format="json").status_code == 404


def test_a_hit_needs_a_profile_or_an_anonymous_visitor(client, pixel):
    response = hit(client, pixel, goal="view")
    assert response.status_code == 400 and "profile_id" in response.json()


def test_a_hit_of_a_profile_of_another_database_is_refused(client, pixel, marketer):
    other = ProfileDatabaseFactory()
    other.members.add(marketer)
    stranger = ProfileFactory(database=other)
    response = hit(client, pixel, goal="view", profile_id=stranger.profile_id)
    assert response.status_code == 400 and "profile_id" in response.json()
    hidden = ProfileFactory(database=ProfileDatabaseFactory())
    response = hit(client, pixel, goal="view", profile_id=hidden.profile_id)
    assert response.status_code == 400 and "Unknown profile" in response.json()["profile_id"][0]
    assert not Event.objects.filter(type="pixel").exists()


def test_a_hit_of_a_profile_locates_it_by_its_ip(client, pixel, profile):
    hit(client, pixel, goal="view", profile_id=profile.profile_id, ip="90.1.1.1")
    profile.refresh_from_db()
    assert (profile.ip, profile.country, profile.timezone) == ("90.1.1.1", "FR", "Europe/Paris")


def test_a_hit_with_both_ids_joins_the_visitors_earlier_hits(client, pixel, profile):
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-1")
    response = hit(
        client, pixel, goal="view", profile_id=profile.profile_id, anonymous_id="cookie-1"
    )
    assert response.json()["joined"] == 1
    assert profile.events.filter(type="pixel").count() == 2
    assert not AnonymousHit.objects.exists()


def test_the_hit_endpoint_needs_record_hit(api_client, database, pixel, profile):
    user = grant(UserFactory(), "view_profile", "view_pixel")
    database.members.add(user)
    api_client.force_authenticate(user)
    assert hit(api_client, pixel, goal="view", profile_id=profile.profile_id).status_code == 403
    assert not Event.objects.filter(type="pixel").exists()


def test_goals_are_unique_per_pixel_not_across_pixels(database):
    GoalFactory(pixel=PixelFactory(database=database), name="view")
    GoalFactory(pixel=PixelFactory(database=database), name="view")
    assert Goal.objects.filter(name="view").count() == 2
