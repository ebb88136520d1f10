import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.status import Status
from history.models import Event
from history.reports import MAX_BATCH
from operations.events import ingest_event
from subscriptions.models import SuppressedAddress
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


def post(client, payload):
    return client.post(URL, payload, format="json")


def event(profile, type="open", **fields):
    return {"profile_id": profile.profile_id, "type": type, **fields}


def test_it_records_one_event_and_answers_201_with_it(client, profile):
    occurred = (timezone.now() - timedelta(hours=1)).replace(microsecond=123456)
    response = post(
        client,
        event(
            profile,
            "click",
            occurred_at=occurred.isoformat(),
            data={"url": "https://example.com/a", "mailing": 7},
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    stored = Event.objects.get(pk=body["id"])
    assert (stored.profile, stored.type, stored.occurred_at) == (profile, "click", occurred)
    assert stored.data == {"url": "https://example.com/a", "mailing": 7}
    assert body["profile_id"] == profile.profile_id and body["type"] == "click"


def test_it_dates_an_event_without_occurred_at_now(client, profile):
    before = timezone.now()
    response = post(client, event(profile, "delivery"))
    assert response.status_code == 201
    assert Event.objects.get(pk=response.json()["id"]).occurred_at >= before


def test_a_single_bad_event_answers_400_naming_the_field_and_saves_nothing(client, profile):
    response = post(client, event(profile, "click", data={"url": "not a url", "mailing": 1}))
    assert response.status_code == 400
    assert "url" in response.json()["data"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "type", ["send", "delivery", "open", "read", "click", "hard_bounce", "complaint"]
)
def test_each_mailing_type_the_contract_names_is_accepted_with_empty_data(client, profile, type):
    # A mail server may report a click without the link: the event is kept all the same.
    response = post(client, event(profile, type, data={}))
    assert response.status_code == 201, response.content
    assert Event.objects.get(pk=response.json()["id"]).type == type


def test_a_batch_answers_per_event_and_keeps_the_good_ones(client, profile, olga, database):
    hidden = ProfileFactory()  # a database bob is not a member of
    now = timezone.now()
    payload = [
        event(profile, "send", data={"mailing": "Autumn sale"}),
        event(profile, "teleport"),
        {"type": "open", "profile_id": "ffffffffffffffffffffffff"},
        event(hidden, "open"),
        event(profile, "open", occurred_at="28/11/2026 10:00"),
        event(profile, "open", occurred_at=(now + timedelta(minutes=10)).isoformat()),
        event(profile, "click", data={"url": "not a url"}),
        event(profile, "pixel", data={"goal": "purchase", "value": "lots"}),
        event(profile, "open", data=["not", "an", "object"]),
        event(profile, "status_changed", data={"to": "invalid"}),
        "not an object",
        event(profile, "read", occurred_at=(now + timedelta(minutes=4)).isoformat()),
    ]
    response = post(client, payload)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(payload)))
    assert [r["status"] for r in results] == ["created"] + ["error"] * 10 + ["created"]
    errors = [r["errors"] for r in results]
    assert "type" in errors[1]
    assert "profile_id" in errors[2] and "profile_id" in errors[3]
    assert "occurred_at" in errors[4]
    assert "5 minutes" in errors[5]["occurred_at"][0]
    assert "url" in errors[6]["data"]
    assert "value" in errors[7]["data"]
    assert "data" in errors[8]
    assert "type" in errors[9]
    assert "non_field_errors" in errors[10]
    created = [r["id"] for r in results if r["status"] == "created"]
    assert sorted(Event.objects.values_list("pk", flat=True)) == sorted(created)
    assert all(r["id"] is None for r in results if r["status"] == "error")


def test_an_event_of_a_batch_the_parser_refuses_is_that_events_error(client, profile):
    payload = [
        event(profile, "open"),
        event(profile, "open", data={"mailing": 99999999999999999999999}),
        event(profile, "open", data={"note": "a\x00b"}),
        {"profile_id": f"{profile.profile_id}\x00", "type": "open"},
        event(profile, "read"),
    ]
    response = client.post(URL, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "error", "created"]
    nul = ["Text must not contain NUL characters."]
    assert results[1]["errors"] == {
        "data": {"mailing": ["Enter a whole number between -2^63 and 2^63-1."]}
    }
    assert results[2]["errors"] == {"data": {"note": nul}}
    assert results[3]["errors"] == {"profile_id": nul}
    assert sorted(Event.objects.values_list("type", flat=True)) == ["open", "read"]


def test_a_single_event_the_parser_refuses_answers_400(client, profile):
    body = json.dumps(event(profile, "open", data={"note": "a\x00b"}))
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"data": {"note": ["Text must not contain NUL characters."]}}
    assert not Event.objects.exists()


def test_data_keys_are_checked_each_time_and_an_empty_required_key_is_missing(client, profile):
    url = "https://shop.example/p/1?utm_source=news"
    payload = [
        event(profile, "click", data={"url": "not a url"}),
        event(profile, "click", data={"url": "not a url"}),  # the same answer again
        event(profile, "pixel", data={"goal": ""}),
        event(profile, "click", data={"url": url, "mailing": None, "note": " as sent "}),
        event(profile, "click", data={"url": url, "mailing": 7.5}),
        {**event(profile, "open"), "zeta": 1, "alpha": 2},
    ]
    results = post(client, payload).json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["error", "error", "error", "created", "error", "error"]
    bad_url = "Enter an absolute http(s) URL, e.g. https://example.com/page."
    assert results[0]["errors"] == results[1]["errors"] == {"data": {"url": [bad_url]}}
    assert results[2]["errors"] == {"data": {"goal": ["This key is required for “pixel” events."]}}
    assert results[4]["errors"] == {"data": {"mailing": ["Enter an id: a whole number or text."]}}
    assert results[5]["errors"] == {"non_field_errors": ["Unknown keys: alpha, zeta."]}
    stored = Event.objects.get(pk=results[3]["id"])
    assert stored.data == {"url": url, "note": " as sent "}  # empty keys dropped, others kept


def test_it_rejects_an_empty_or_oversized_batch(client, profile):
    assert post(client, []).status_code == 400
    response = post(client, [event(profile)] * (MAX_BATCH + 1))
    assert response.status_code == 400
    assert str(MAX_BATCH) in response.json()["non_field_errors"][0]
    assert not Event.objects.exists()


def test_it_lists_the_event_types_with_their_data_shape(client):
    response = client.get(URL + "types/")
    assert response.status_code == 200
    types = {item["slug"]: item for item in response.json()}
    assert {"send", "delivery", "open", "read", "click", "hard_bounce", "complaint"} <= set(types)
    click = types["click"]
    assert click["label"] and click["group"] == "mailing"
    assert click["data"]["url"] == {
        "type": "url",
        "required": False,
        "description": "The URL of the link.",
    }
    assert "mailing" in click["data"] and "utm_source" in click["data"]
    assert types["pixel"]["data"]["goal"]["required"] is True
    assert types["status_changed"]["accepted"] is False


def test_a_hard_bounce_sets_the_status_and_suppresses_the_address(client, profile):
    response = post(client, event(profile, "hard_bounce", data={"reason": "550 no such user"}))
    assert response.status_code == 201
    profile.refresh_from_db()
    assert profile.status == Status.HARD_BOUNCED
    assert SuppressedAddress.objects.is_suppressed("ann@example.com")
    change = profile.events.get(type="status_changed")
    assert change.data == {"from": "subscribed", "to": "hard_bounced", "source": "hard_bounce"}


def test_a_new_hard_bounce_suppresses_again_an_address_taken_off_the_list(client, profile):
    post(client, event(profile, "hard_bounce"))
    SuppressedAddress.objects.all().delete()
    assert post(client, event(profile, "hard_bounce")).status_code == 201
    assert SuppressedAddress.objects.is_suppressed("ann@example.com")
    assert profile.events.filter(type="status_changed").count() == 1


def test_a_complaint_makes_the_profile_a_complainer(client, profile):
    assert post(client, event(profile, "complaint", data={"mailing": 3})).status_code == 201
    profile.refresh_from_db()
    assert profile.status == Status.COMPLAINER
    assert profile.events.filter(type="status_changed").exists()


def test_a_confirmation_click_confirms_an_unconfirmed_profile(client, profile):
    profile.status = Status.UNCONFIRMED
    profile.save()
    assert post(client, event(profile, "confirmation_click")).status_code == 201
    profile.refresh_from_db()
    assert profile.status == Status.SUBSCRIBED


def test_an_unsubscribe_click_unsubscribes_the_subscription_it_names(client, profile):
    from tests.subscriptions.factories import SubscriptionFactory

    subscription = SubscriptionFactory(profile=profile)
    other = SubscriptionFactory(profile=profile)
    response = post(
        client, event(profile, "unsubscribe_click", data={"subscription": subscription.public_id})
    )
    assert response.status_code == 201, response.content
    subscription.refresh_from_db()
    other.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED
    assert other.status == Status.SUBSCRIBED
    profile.refresh_from_db()
    assert profile.status == Status.SUBSCRIBED
    assert profile.events.filter(type="unsubscribed").exists()


def test_an_unsubscribe_click_naming_another_profiles_subscription_is_rejected(client, profile):
    from tests.subscriptions.factories import SubscriptionFactory

    foreign = SubscriptionFactory(profile=ProfileFactory(database=profile.database))
    response = post(
        client, event(profile, "unsubscribe_click", data={"subscription": foreign.public_id})
    )
    assert response.status_code == 400
    assert "subscription" in response.json()["data"]
    foreign.refresh_from_db()
    assert foreign.status == Status.SUBSCRIBED
    assert not Event.objects.filter(type="unsubscribe_click").exists()


def test_a_hard_bounce_naming_a_subscription_bounces_it_too(client, profile):
    from tests.subscriptions.factories import SubscriptionFactory

    subscription = SubscriptionFactory(profile=profile, contact="work@example.com")
    data = {"subscription": subscription.public_id}
    assert post(client, event(profile, "hard_bounce", data=data)).status_code == 201
    subscription.refresh_from_db()
    assert subscription.status == Status.HARD_BOUNCED
    assert SuppressedAddress.objects.is_suppressed("work@example.com")


@pytest.mark.parametrize("batch", [False, True], ids=["one", "a batch"])
@pytest.mark.parametrize("key", ["contact", "email"])
def test_a_hard_bounce_naming_an_address_bounces_the_subscription_with_it(
    client, profile, batch, key
):
    from tests.subscriptions.factories import SubscriptionFactory

    other = SubscriptionFactory(profile=profile, contact="home@example.com")
    subscription = SubscriptionFactory(profile=profile, contact="work@example.com")
    reported = event(profile, "hard_bounce", data={key: " Work@Example.com "})

    response = post(client, [reported] if batch else reported)

    assert response.status_code == (200 if batch else 201), response.content
    subscription.refresh_from_db()
    other.refresh_from_db()
    assert (subscription.status, other.status) == (Status.HARD_BOUNCED, Status.SUBSCRIBED)
    assert SuppressedAddress.objects.is_suppressed("work@example.com")
    assert not SuppressedAddress.objects.is_suppressed("home@example.com")


@pytest.mark.parametrize("batch", [False, True], ids=["one", "a batch"])
def test_a_hard_bounce_of_an_address_no_subscription_has_suppresses_it(client, profile, batch):
    reported = event(profile, "hard_bounce", data={"email": "old@example.com"})

    response = post(client, [reported] if batch else reported)

    assert response.status_code == (200 if batch else 201), response.content
    assert SuppressedAddress.objects.is_suppressed("old@example.com")
    profile.refresh_from_db()
    assert profile.status == Status.HARD_BOUNCED


@pytest.mark.parametrize("batch", [False, True], ids=["one", "a batch"])
def test_an_unsubscribe_click_naming_a_contact_unsubscribes_its_subscription(
    client, profile, batch
):
    from tests.subscriptions.factories import SubscriptionFactory

    subscription = SubscriptionFactory(profile=profile, contact="work@example.com")
    theirs = SubscriptionFactory(contact="work@example.com")  # another profile's
    reported = event(profile, "unsubscribe_click", data={"contact": "work@example.com"})

    post(client, [reported] if batch else reported)

    subscription.refresh_from_db()
    theirs.refresh_from_db()
    assert (subscription.status, theirs.status) == (Status.UNSUBSCRIBED, Status.SUBSCRIBED)


def test_a_click_with_utm_tags_updates_the_profiles_utm(client, profile):
    profile.utm_term = "old term"
    profile.save()
    data = {"url": "https://shop.example/?utm_source=news&utm_medium=email", "mailing": 1}
    assert post(client, event(profile, "click", data=data)).status_code == 201
    profile.refresh_from_db()
    assert (profile.utm_source, profile.utm_medium, profile.utm_term) == ("news", "email", "")
    data = {"url": "https://shop.example/", "utm_campaign": "autumn", "utm_source": "app"}
    assert post(client, event(profile, "click", data=data)).status_code == 201
    profile.refresh_from_db()
    assert (profile.utm_source, profile.utm_campaign, profile.utm_medium) == ("app", "autumn", "")


def test_a_click_without_utm_tags_leaves_the_utm_alone(client, profile):
    profile.utm_source = "kept"
    profile.save()
    post(client, event(profile, "click", data={"url": "https://shop.example/?page=2"}))
    profile.refresh_from_db()
    assert profile.utm_source == "kept"


def test_side_effects_of_a_batch_apply_in_time_order(client, profile):
    now = timezone.now()
    payload = [
        event(
            profile,
            "click",
            occurred_at=(now - timedelta(minutes=1)).isoformat(),
            data={"url": "https://a.example/?utm_source=newer"},
        ),
        event(
            profile,
            "click",
            occurred_at=(now - timedelta(minutes=2)).isoformat(),
            data={"url": "https://a.example/?utm_source=older"},
        ),
    ]
    assert [r["status"] for r in post(client, payload).json()["results"]] == ["created"] * 2
    profile.refresh_from_db()
    assert profile.utm_source == "newer"


def test_ingest_event_is_the_service_the_product_calls(profile):
    ingest_event(profile, "hard_bounce", {"reason": "mailbox full"})
    profile.refresh_from_db()
    assert profile.status == Status.HARD_BOUNCED


def test_plain_events_are_written_in_a_constant_number_of_queries(
    client, profile, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        post(client, [event(profile, "open")] * 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = post(client, [event(profile, "open")] * 200)
    assert Event.objects.count() == 205
    assert {r["status"] for r in response.json()["results"]} == {"created"}


def test_it_answers_401_to_anonymous_requests(api_client, profile):
    assert post(api_client, event(profile)).status_code == 401


def test_it_answers_403_to_a_user_who_may_not_change_profiles(api_client, charlie, profile):
    api_client.force_authenticate(charlie)
    assert post(api_client, event(profile)).status_code == 403
    assert not Event.objects.exists()


def test_an_outsiders_event_names_the_profile_unknown(api_client, olga, profile):
    api_client.force_authenticate(olga)
    response = post(api_client, event(profile))
    assert response.status_code == 400
    assert "profile_id" in response.json()
    assert not Event.objects.exists()


def test_listing_events_is_not_offered(client):
    assert client.get(URL).status_code == 405
