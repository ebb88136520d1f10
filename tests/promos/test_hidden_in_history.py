"""A promo code is seen only by users who may view promo codes: in the history of a
profile (the section, its exports, the API, the admin) and in the personal-data export,
a user who may see the profile but not its codes reads "(hidden)" where the code was."""

import json

import pytest
from django.urls import reverse

from operations.promos import attach
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HIDDEN = "(hidden)"


@pytest.fixture
def attached(profile, pool):
    return attach(pool, profile, source="ui")  # records promo_attached {code: WELCOME1}


@pytest.fixture
def viewer(database):
    """May see profiles, export them and read their history; not their promo codes."""
    viewer = grant(UserFactory(username="viewer"), "view_profile", "export_profile")
    database.members.add(viewer)
    return viewer


@pytest.fixture
def staff_viewer(database):
    staff = grant(UserFactory(username="staffer", is_staff=True), "view_profile", "view_event")
    database.members.add(staff)
    return staff


def history(client, profile, suffix=""):
    url = reverse("history:profile", args=[profile.profile_id])
    return client.get(f"{url}{suffix}").content.decode()


def test_the_history_section_hides_the_code_from_a_user_who_may_not_view_codes(
    client, viewer, reader, profile, attached
):
    client.force_login(viewer)
    html = history(client, profile)
    assert "Promo code attached" in html and "Welcome 10%" in html
    assert attached.code not in html and HIDDEN in html
    client.force_login(reader)  # may view promo codes
    html = history(client, profile)
    assert attached.code in html and HIDDEN not in html


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_history_export_hides_the_code_too(client, viewer, profile, attached, fmt):
    client.force_login(viewer)
    url = reverse("history:export", args=[profile.profile_id, fmt])
    body = b"".join(client.get(url).streaming_content).decode()
    assert "promo_attached" in body and attached.code not in body and HIDDEN in body


def test_the_history_api_hides_the_code_and_the_types_say_which_permission_shows_it(
    api_client, viewer, reader, profile, attached
):
    url = f"/api/v1/profiles/{profile.profile_id}/history/"
    api_client.force_authenticate(viewer)
    [event] = [e for e in api_client.get(url).json()["results"] if e["type"] == "promo_attached"]
    assert event["data"] == {"code": HIDDEN, "program": "Welcome 10%", "source": "ui"}
    api_client.force_authenticate(reader)
    [event] = [e for e in api_client.get(url).json()["results"] if e["type"] == "promo_attached"]
    assert event["data"]["code"] == attached.code
    types = {t["slug"]: t for t in api_client.get("/api/v1/events/types/").json()}
    assert types["promo_attached"]["data"]["code"]["permission"] == "promos.view_promocode"


def test_the_personal_data_export_hides_the_code_and_says_what_it_withheld(
    client, viewer, profile, attached
):
    client.force_login(viewer)
    response = client.get(reverse("profiles:export", args=[profile.profile_id]))
    data = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    [event] = [e for e in data["events"] if e["type"] == "promo_attached"]
    assert event["data"]["code"] == HIDDEN
    assert {
        "section": "events",
        "key": "promo_attached.code",
        "permission": "promos.view_promocode",
    } in data["withheld"]
    assert attached.code not in json.dumps(data)


def test_the_admin_hides_the_code_on_the_list_and_on_the_event(
    client, staff_viewer, profile, attached
):
    client.force_login(staff_viewer)
    listing = client.get(reverse("admin:history_event_changelist"), {"type": "promo_attached"})
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Promo code attached" in html and attached.code not in html and HIDDEN in html
    event = profile.events.get(type="promo_attached")
    page = client.get(reverse("admin:history_event_change", args=[event.pk])).content.decode()
    assert attached.code not in page and HIDDEN in page
    event.refresh_from_db()
    assert event.data["code"] == attached.code  # shown hidden, kept whole
