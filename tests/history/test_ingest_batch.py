"""A batch of reported events is applied set-wise: every side effect, in time order, in a
number of queries that does not grow with the batch (the JSON parser they go through:
tests/core/test_api_parser.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from core.status import Status
from history.models import Event
from operations.events import ingest_event
from subscriptions.models import SuppressedAddress
from tests.factories import ProfileFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
GB, US = "81.2.69.160", "8.8.8.8"


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


def post(client, payload):
    response = client.post(URL, payload, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def event(profile, type="open", minutes_ago=None, **data):
    item = {"profile_id": profile.profile_id, "type": type}
    if minutes_ago is not None:
        item["occurred_at"] = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    if data:
        item["data"] = data
    return item


def tagged_click(profile, source, minutes_ago=None, **extra):
    url = f"https://shop.example/?utm_source={source}"
    return event(profile, "click", minutes_ago, url=url, **extra)


def test_a_mixed_batch_applies_every_effect_and_answers_in_input_order(client, database):
    located, tagged, bounced, leaving, complaining = (
        ProfileFactory(database=database, email=f"{name}@example.com")
        for name in ("located", "tagged", "bounced", "leaving", "complaining")
    )
    bounce_to = SubscriptionFactory(profile=bounced, contact="work@example.com")
    leaving_from = SubscriptionFactory(profile=leaving)
    payload = [
        event(located, "send", mailing=1),
        event(located, "open", ip=US),
        tagged_click(tagged, "news"),
        event(bounced, "hard_bounce", subscription=bounce_to.public_id),
        event(leaving, "delivery"),
        event(leaving, "unsubscribe_click", subscription=leaving_from.public_id),
        event(complaining, "complaint", mailing=2),
    ]
    results = post(client, payload)
    assert [r["index"] for r in results] == list(range(len(payload)))
    assert {r["status"] for r in results} == {"created"}
    stored = Event.objects.in_bulk([r["id"] for r in results])
    assert [stored[r["id"]].type for r in results] == [item["type"] for item in payload]
    assert [stored[r["id"]].profile.profile_id for r in results] == [
        item["profile_id"] for item in payload
    ]
    for profile in (located, tagged, bounced, leaving, complaining):
        profile.refresh_from_db()
    assert (located.ip, located.country) == (US, "US")
    assert tagged.utm_source == "news"
    assert bounced.status == Status.HARD_BOUNCED
    bounce_to.refresh_from_db()
    assert bounce_to.status == Status.HARD_BOUNCED
    assert SuppressedAddress.objects.is_suppressed("work@example.com")
    assert SuppressedAddress.objects.is_suppressed("bounced@example.com")
    leaving_from.refresh_from_db()
    assert leaving_from.status == Status.UNSUBSCRIBED
    assert complaining.status == Status.COMPLAINER
    assert bounced.events.filter(type="status_changed").exists()
    assert complaining.events.filter(type="status_changed").exists()


def test_clicks_and_ips_of_any_number_of_profiles_take_the_same_queries(
    client, database, django_assert_max_num_queries
):
    def batch(count):
        profiles = ProfileFactory.create_batch(count, database=database)
        items = [tagged_click(p, f"s{n}") for n, p in enumerate(profiles)]
        items += [event(p, "open", ip=GB) for p in profiles]
        items += [event(p, "delivery") for p in profiles]
        return profiles, items

    _, items = batch(2)
    with django_assert_max_num_queries(20) as captured:
        post(client, items)
    many, items = batch(40)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        results = post(client, items)
    assert {r["status"] for r in results} == {"created"}
    for number, profile in enumerate(many):
        profile.refresh_from_db()
        assert (profile.utm_source, profile.ip, profile.country) == (f"s{number}", GB, "GB")


def test_the_latest_ip_of_a_batch_wins_whatever_the_order_sent(client, profile):
    post(client, [event(profile, "open", 1, ip=US), event(profile, "open", 2, ip=GB)])
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == (US, "US")


def test_an_ip_older_than_one_already_recorded_changes_nothing(client, profile):
    post(client, [event(profile, "open", 5, ip=GB)])
    post(client, [event(profile, "open", 10, ip=US), event(profile, "delivery")])
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == (GB, "GB")
    post(client, [event(profile, "click", 1, url="https://a.example/", ip=US)])
    profile.refresh_from_db()
    assert (profile.ip, profile.country) == (US, "US")


def test_a_batch_passing_through_another_country_clears_the_place(client, profile):
    profile.country, profile.city = "GB", "London"
    profile.latitude, profile.longitude = Decimal("51.5074"), Decimal("-0.1278")
    profile.save()
    # As one by one: the US event clears London, and the later GB one does not bring it back.
    post(client, [event(profile, "open", 1, ip=GB), event(profile, "open", 2, ip=US)])
    profile.refresh_from_db()
    assert (profile.ip, profile.country, profile.city) == (GB, "GB", "")
    assert profile.latitude is None and profile.longitude is None


def test_the_latest_tagged_click_of_a_batch_sets_the_utm_and_is_audited(client, profile):
    profile.utm_term = "old"
    profile.save()
    post(
        client,
        [
            tagged_click(profile, "newer"),
            event(profile, "click", 3, url="https://a.example/?utm_source=older&utm_term=t"),
        ],
    )
    profile.refresh_from_db()
    assert (profile.utm_source, profile.utm_term) == ("newer", "")
    entry = AuditEntry.objects.filter(profile_id=profile.profile_id, action="update").latest("pk")
    assert entry.changes["utm_source"] == ["", "newer"]
    assert entry.changes["utm_term"] == ["old", ""]


def test_a_tagged_click_reported_late_leaves_the_tags_of_a_later_one(client, profile, database):
    """A mail server's retry queue reports yesterday's click after today's: the profile
    keeps today's tags (it took the last one processed before), and a later click still
    sets its own. A later click without tags, or of another profile, does not count."""
    other = ProfileFactory(database=database)
    post(client, [tagged_click(profile, "today", minutes_ago=5), tagged_click(other, "x", 1)])
    post(client, [event(profile, "click", 1, url="https://shop.example/plain")])
    post(
        client,
        [tagged_click(profile, "yesterday", minutes_ago=60 * 24), tagged_click(other, "y", 9)],
    )
    profile.refresh_from_db(), other.refresh_from_db()
    assert (profile.utm_source, other.utm_source) == ("today", "x")
    post(client, [tagged_click(profile, "now", minutes_ago=1)])
    profile.refresh_from_db()
    assert profile.utm_source == "now"


def test_a_late_click_of_the_one_event_path_leaves_the_later_tags(profile):
    now = timezone.now()
    ingest_event(profile, "click", {"utm_source": "today"}, now - timedelta(minutes=5))
    ingest_event(profile, "click", {"utm_source": "yesterday"}, now - timedelta(days=1))
    profile.refresh_from_db()
    assert profile.utm_source == "today"
    ingest_event(profile, "click", {"utm_source": "now"}, now)
    profile.refresh_from_db()
    assert profile.utm_source == "now"


def test_subscriptions_named_in_a_batch_are_checked_per_event(client, profile, database):
    own = SubscriptionFactory(profile=profile)
    foreign = SubscriptionFactory(profile=ProfileFactory(database=database))
    results = post(
        client,
        [
            event(profile, "unsubscribe_click", subscription=foreign.public_id),
            event(profile, "unsubscribe_click", subscription="f" * 24),
            event(profile, "unsubscribe_click", subscription=own.public_id),
            event(profile, "open"),
        ],
    )
    assert [r["status"] for r in results] == ["error", "error", "created", "created"]
    assert "subscription" in results[0]["errors"]["data"]
    assert "subscription" in results[1]["errors"]["data"]
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert (own.status, foreign.status) == (Status.UNSUBSCRIBED, Status.SUBSCRIBED)
    assert Event.objects.filter(type="unsubscribe_click").count() == 1


def test_data_is_stored_exactly_as_sent_whatever_characters_it_holds(client, profile):
    # Events go into PostgreSQL's COPY as text written by the app: a backslash, a tab, a
    # line break or "\N" in a value must come back as sent, not as COPY's escapes.
    data = {
        "note": 'a\\b\tc\nd\r"quoted" \\N \\. é 😀',
        "list": ["\\", "\t", {"deep": "x\\ny"}],
        "number": 12345678901234,
    }
    [result] = post(client, [event(profile, "open", **data)])
    assert result["status"] == "created", result
    assert Event.objects.get(pk=result["id"]).data == data


def test_items_of_any_shape_get_their_own_errors_beside_a_good_one(client, profile):
    good = event(
        profile, "unsubscribe_click", subscription=SubscriptionFactory(profile=profile).public_id
    )
    results = post(
        client,
        [
            "an event",
            {"profile_id": profile.profile_id, "type": ["hard_bounce"]},
            {"profile_id": ["x"], "type": "open"},
            {"profile_id": profile.profile_id, "type": "hard_bounce", "data": ["subscription"]},
            {"profile_id": profile.profile_id, "type": "complaint", "data": {"subscription": {}}},
            good,
        ],
    )
    assert [r["status"] for r in results] == ["error"] * 5 + ["created"]
    assert "non_field_errors" in results[0]["errors"]
    assert "type" in results[1]["errors"]
    assert "profile_id" in results[2]["errors"]
    assert "data" in results[3]["errors"]
    assert "subscription" in results[4]["errors"]["data"]
