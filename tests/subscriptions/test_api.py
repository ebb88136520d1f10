"""The subscriptions API: resources/, profiles/{profile_id}/subscriptions/, subscriptions/{id}/."""

import pytest
from rest_framework.authtoken.models import Token

from history.models import Event
from subscriptions.models import CHANNEL_LIMIT, Category, Resource, Subscription
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
)

pytestmark = pytest.mark.django_db
CONTRACT = {
    "id",
    "profile_id",
    "resource",
    "channel",
    "contact",
    "status",
    "priority",
    "categories",
    "fields",
    "created_at",
}


def subs_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/subscriptions/"


def sub_url(subscription):
    return f"/api/v1/subscriptions/{subscription.public_id}/"


# -- Resources -------------------------------------------------------------------------


def test_it_creates_a_resource_with_categories(as_alice):
    response = as_alice.post(
        "/api/v1/resources/",
        {
            "name": "Website",
            "increase_priority_for_new": True,
            "categories": [{"name": "News"}, {"name": "Offers"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    resource = Resource.objects.get()
    assert body["id"] == resource.pk
    assert body["name"] == "Website"
    assert body["increase_priority_for_new"] is True
    assert [c["name"] for c in body["categories"]] == ["News", "Offers"]
    assert {c["id"] for c in body["categories"]} == set(
        resource.categories.values_list("pk", flat=True)
    )
    assert set(body["channels"]) == {
        "email",
        "sms",
        "push",
        "telegram",
        "whatsapp",
        "notify",
        "max",
    }


def test_it_creates_a_resource_with_channels_and_custom_fields(as_alice):
    response = as_alice.post(
        "/api/v1/resources/",
        {
            "name": "App",
            "channels": ["push"],
            "fields": [{"name": "plan", "type": "enum", "options": "free, pro"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["channels"] == ["push"]
    assert response.json()["fields"] == [
        {"name": "plan", "label": "", "type": "enum", "options": ["free", "pro"], "required": False}
    ]


def test_it_lists_and_reads_resources(as_bob, resource, news):
    listed = as_bob.get("/api/v1/resources/").json()["results"]
    one = as_bob.get(f"/api/v1/resources/{resource.pk}/").json()

    assert listed == [one]
    assert one["categories"] == [{"id": news.pk, "name": "News"}]


def test_patching_categories_keeps_given_ids_adds_new_and_removes_missing(as_alice, resource):
    news = CategoryFactory(resource=resource, name="News")
    gone = CategoryFactory(resource=resource, name="Gone")
    subscription = SubscriptionFactory(resource=resource)
    subscription.categories.add(news, gone)

    response = as_alice.patch(
        f"/api/v1/resources/{resource.pk}/",
        {"categories": [{"id": news.pk, "name": "Newsletter"}, {"name": "Sales"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    names = dict(Category.objects.filter(resource=resource).values_list("name", "pk"))
    assert names["Newsletter"] == news.pk
    assert set(names) == {"Newsletter", "Sales"}
    assert list(subscription.categories.all()) == [news]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "increase_priority_for_new": "yes"}, "increase_priority_for_new"),
        ({"name": "X", "categories": [{"name": ""}]}, "categories"),
        ({"name": "X", "categories": [{"name": "A"}, {"name": "A"}]}, "categories"),
        ({"name": "X", "categories": "News"}, "categories"),
        ({"name": "X", "channels": ["pigeon"]}, "channels"),
        ({"name": "X", "channels": {}}, "channels"),
        ({"name": "X", "channels": {"email": 1}}, "channels"),
        ({"name": "X", "fields": [{"name": "1bad", "type": "line"}]}, "fields"),
        ({"name": "X", "fields": [{"name": "plan", "type": "enum"}]}, "fields"),
        ({"name": "X", "fields": [{"name": "plan", "type": "colour"}]}, "fields"),
        ({"name": "X", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_resource_is_a_400_naming_the_field(as_alice, body, field):
    response = as_alice.post("/api/v1/resources/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Resource.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": [{"id": 1}]}, "categories"),
        ({"fields": [{"label": "Plan"}]}, "fields"),
        ({"fields": [{"name": "plan"}]}, "fields"),
    ],
)
def test_a_patch_with_an_incomplete_nested_item_is_a_400(as_alice, resource, body, field):
    CategoryFactory(resource=resource, name="News")

    response = as_alice.patch(f"/api/v1/resources/{resource.pk}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert list(resource.categories.values_list("name", flat=True)) == ["News"]
    assert not resource.fields.exists()


def test_a_field_holding_values_cannot_be_removed_or_retyped(as_alice, resource):
    SubscriptionFieldFactory(resource=resource, name="plan")
    SubscriptionFactory(resource=resource, custom_values={"plan": "gold"})

    response = as_alice.patch(
        f"/api/v1/resources/{resource.pk}/",
        {"fields": [{"name": "plan", "type": "number"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "plan" in response.json()["fields"][0]
    assert resource.fields.get().type == "line"


def test_a_resource_with_subscriptions_cannot_be_deleted(as_alice, resource):
    SubscriptionFactory(resource=resource)

    assert as_alice.delete(f"/api/v1/resources/{resource.pk}/").status_code == 409
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_a_resource_is_written_in_json_only(as_alice):
    # A form body cannot carry the nested categories: it is refused, not half-taken.
    response = as_alice.post("/api/v1/resources/", {"name": "X", "channels": "email"})

    assert response.status_code == 415
    assert not Resource.objects.exists()


def test_bob_may_read_but_not_write_resources(as_bob):
    assert as_bob.get("/api/v1/resources/").status_code == 200
    assert as_bob.post("/api/v1/resources/", {"name": "X"}, format="json").status_code == 403


# -- Creating subscriptions ------------------------------------------------------------


def test_it_creates_a_subscription_with_the_contract_shape(as_bob, profile, resource, news):
    response = as_bob.post(
        subs_url(profile),
        {
            "resource": resource.pk,
            "channel": "email",
            "contact": "Ann@Example.com",
            "categories": [news.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= CONTRACT
    subscription = Subscription.objects.get()
    assert body["id"] == subscription.public_id
    assert len(body["id"]) == 24
    assert body["profile_id"] == profile.profile_id
    assert body["resource"] == resource.pk
    assert body["channel"] == "email"
    assert body["contact"] == "ann@example.com"
    assert body["status"] == "subscribed"
    assert body["priority"] == 0
    assert body["categories"] == [news.pk]
    assert body["fields"] == {}
    assert body["replaced"] == []
    assert Event.objects.get(type="subscribed").data["subscription"] == body["id"]


def test_it_creates_with_status_priority_fields_and_device_fields(as_alice, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")

    response = as_alice.post(
        subs_url(profile),
        {
            "resource": resource.pk,
            "channel": "push",
            "contact": "token-abc",
            "status": "unconfirmed",
            "priority": 3,
            "fields": {"seats": 4},
            "device_type": "mobile",
            "platform": "android",
            "ad_tracking": False,
            "reg_ip": "203.0.113.7",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["fields"]) == ("unconfirmed", 3, {"seats": 4})
    assert (body["device_type"], body["platform"], body["ad_tracking"]) == (
        "mobile",
        "android",
        False,
    )
    assert body["confirmation_url"].startswith("http://testserver/subscriptions/confirm/")


def test_a_custom_channel_is_given_by_its_slug(as_alice, profile):
    from subscriptions.models import Channel

    vk = Channel.objects.create(name="VK", slug="vk")
    resource = ResourceFactory(name="Social", channels=[vk])

    response = as_alice.post(
        subs_url(profile),
        {"resource": resource.pk, "channel": "vk", "contact": "id42"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "vk"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"channel": 5}, "channel"),
        ({"contact": "not-an-address"}, "contact"),
        ({"channel": "sms", "contact": "ann@example.com"}, "contact"),
        ({"contact": 12345}, "contact"),
        ({"status": "happy"}, "status"),
        ({"priority": "high"}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"priority": "1"}, "priority"),
        ({"priority": True}, "priority"),
        ({"categories": [999999]}, "categories"),
        ({"categories": ["News"]}, "categories"),
        ({"categories": 3}, "categories"),
        ({"fields": {"unknown": 1}}, "fields"),
        ({"fields": {"seats": "many"}}, "fields"),
        ({"fields": []}, "fields"),
        ({"resource": 999999}, "resource"),
        ({"resource": "Website"}, "resource"),
        ({"device_type": "tablet"}, "device_type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(
    as_bob, profile, resource, changes, field
):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    body = {"resource": resource.pk, "channel": "email", "contact": "ann@example.com"} | changes

    response = as_bob.post(subs_url(profile), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Subscription.all_objects.exists()
    assert not Event.objects.filter(type="subscribed").exists()


def test_a_category_of_another_resource_is_a_400(as_bob, profile, resource):
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"))

    response = as_bob.post(
        subs_url(profile),
        {
            "resource": resource.pk,
            "channel": "email",
            "contact": "a@example.com",
            "categories": [elsewhere.pk],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "Unknown category" in response.json()["categories"][0]
    assert not Subscription.objects.exists()


def test_at_the_limit_the_answer_names_the_replaced_subscription(as_bob, profile, resource):
    old = [
        SubscriptionFactory(
            profile=profile, resource=resource, contact=f"o{n}@example.com", priority=n
        )
        for n in range(CHANNEL_LIMIT)
    ]

    response = as_bob.post(
        subs_url(profile),
        {"resource": resource.pk, "channel": "email", "contact": "new@example.com", "priority": 0},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["replaced"] == [old[-1].public_id]
    assert Subscription.all_objects.filter(profile=profile).count() == CHANNEL_LIMIT


# -- Listing ---------------------------------------------------------------------------


def test_it_lists_the_profiles_live_subscriptions(
    as_bob, profile, resource, django_assert_max_num_queries
):
    from django.utils import timezone

    for n in range(5):
        SubscriptionFactory(profile=profile, resource=resource, contact=f"s{n}@example.com")
    SubscriptionFactory(profile=profile, resource=resource, deleted_at=timezone.now())
    SubscriptionFactory(resource=resource)  # another profile's

    with django_assert_max_num_queries(12):
        response = as_bob.get(subs_url(profile))

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 5
    assert {r["profile_id"] for r in results} == {profile.profile_id}


# -- One subscription ------------------------------------------------------------------


@pytest.fixture
def subscription(profile, resource):
    return SubscriptionFactory(profile=profile, resource=resource, contact="a@example.com")


def test_it_reads_one_subscription(as_bob, subscription):
    response = as_bob.get(sub_url(subscription))

    assert response.status_code == 200
    assert response.json()["id"] == subscription.public_id
    assert set(response.json()) >= CONTRACT


def test_it_patches_status_priority_categories_and_fields(
    as_bob, subscription, resource, news, offers
):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    subscription.categories.add(news)

    response = as_bob.patch(
        sub_url(subscription),
        {
            "status": "unsubscribed",
            "priority": 4,
            "categories": [offers.pk],
            "fields": {"seats": 2},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["categories"], body["fields"]) == (
        "unsubscribed",
        4,
        [offers.pk],
        {"seats": 2},
    )
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"
    assert Event.objects.filter(type="unsubscribed").count() == 1
    assert Event.objects.filter(type="subscription_categories_changed").count() == 1


def test_a_body_read_with_get_and_sent_back_with_put_changes_what_it_changed(as_bob, subscription):
    body = as_bob.get(sub_url(subscription)).json() | {"status": "unsubscribed", "priority": 3}

    response = as_bob.put(sub_url(subscription), body, format="json")

    assert response.status_code == 200, response.json()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("unsubscribed", 3)
    # PUT is taken as PATCH: what it leaves out keeps its value.
    assert as_bob.put(sub_url(subscription), {"priority": 2}, format="json").status_code == 200
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("unsubscribed", 2)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_fixed_field_sent_with_another_value_is_a_400_naming_it(as_bob, subscription, method):
    body = as_bob.get(sub_url(subscription)).json() | {"contact": "new@example.com"}

    response = getattr(as_bob, method)(sub_url(subscription), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["contact"]
    assert "cannot change" in response.json()["contact"][0]
    subscription.refresh_from_db()
    assert subscription.contact != "new@example.com"


def test_a_suspension_with_an_end_is_patched_and_read(as_bob, subscription):
    response = as_bob.patch(
        sub_url(subscription),
        {"status": "suspended", "suspended_until": "2099-01-31T09:00:00Z"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["suspended_until"] == "2099-01-31T09:00:00Z"
    subscription.refresh_from_db()
    assert subscription.suspended_until.isoformat() == "2099-01-31T09:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "suspended", "suspended_until": "2001-01-01T00:00:00Z"}, "future"),
        ({"suspended_until": "2099-01-01T00:00:00Z"}, "Only a suspended subscription"),
        ({"status": "suspended", "suspended_until": "soon"}, "format"),
    ],
)
def test_a_bad_suspension_end_is_a_400_naming_it(as_bob, subscription, body, message):
    response = as_bob.patch(sub_url(subscription), body, format="json")

    assert response.status_code == 400
    assert message in response.json()["suspended_until"][0]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.suspended_until) == ("subscribed", None)


def test_a_suspension_end_is_not_taken_on_create(as_bob, profile, resource):
    body = {"resource": resource.pk, "channel": "email", "contact": "a@example.com"}

    response = as_bob.post(
        subs_url(profile), body | {"suspended_until": "2099-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert "suspended_until" in response.json()
    assert not Subscription.all_objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "happy"}, "status"),
        ({"priority": "x"}, "priority"),
        ({"priority": None}, "priority"),
        ({"categories": [999999]}, "categories"),
        ({"fields": {"nope": 1}}, "fields"),
        ({"contact": "b@example.com"}, "contact"),
        ({"channel": "sms"}, "channel"),
        ({"resource": 999999}, "resource"),
    ],
)
def test_a_bad_patch_is_a_400_and_changes_nothing(as_bob, subscription, body, field):
    response = as_bob.patch(sub_url(subscription), {"status": "invalid", **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    subscription.refresh_from_db()
    assert subscription.status == "subscribed"


def test_each_bad_custom_value_is_named_with_the_other_errors(as_bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    SubscriptionFieldFactory(resource=resource, name="plan", required=True)
    body = {"resource": resource.pk, "channel": "email", "contact": "not-an-address"}

    created = as_bob.post(subs_url(profile), body | {"fields": {"seats": "many"}}, format="json")

    errors = created.json()
    assert created.status_code == 400 and "contact" in errors
    assert errors["fields"] == {  # each named once: by its key, not again in the message
        "seats": ["Enter a whole number, e.g. 42 or -7."],
        "plan": ["This field is required."],
    }
    assert not Subscription.all_objects.exists()


def test_a_patch_names_each_bad_custom_value(as_bob, subscription):
    SubscriptionFieldFactory(resource=subscription.resource, name="seats", type="number")

    response = as_bob.patch(
        sub_url(subscription), {"fields": {"seats": 1.5, "nope": 1}}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"seats", "nope"}
    subscription.refresh_from_db()
    assert subscription.custom_values == {}


def test_alice_deletes_softly(as_alice, subscription):
    response = as_alice.delete(sub_url(subscription))

    assert response.status_code == 204
    assert Subscription.all_objects.get().deleted_at is not None
    assert as_alice.get(sub_url(subscription)).status_code == 404
    assert Event.objects.get(type="subscription_deleted").data["reason"] == "deleted"


def test_bob_may_not_delete(as_bob, subscription):
    assert as_bob.delete(sub_url(subscription)).status_code == 403
    assert Subscription.objects.filter(pk=subscription.pk).exists()


# -- Access ----------------------------------------------------------------------------


def test_anonymous_requests_are_refused(api_client, profile, subscription):
    assert api_client.get(subs_url(profile)).status_code == 401
    assert api_client.get(sub_url(subscription)).status_code == 401
    assert api_client.get("/api/v1/resources/").status_code == 401
    assert api_client.patch(sub_url(subscription), {"status": "invalid"}).status_code == 401


def test_a_token_works(api_client, bob, subscription):
    token = Token.objects.create(user=bob)

    response = api_client.get(sub_url(subscription), HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200


def test_charlie_without_permissions_gets_403(api_client, charlie, profile, subscription):
    api_client.force_authenticate(charlie)

    assert api_client.get(subs_url(profile)).status_code == 403
    assert api_client.get(sub_url(subscription)).status_code == 403
    assert api_client.get("/api/v1/resources/").status_code == 403


def test_an_outsider_gets_404(api_client, profile, subscription, resource):
    outsider = grant(UserFactory(username="dave"), *MARKETER_PERMISSIONS)
    outsider.profile_databases.add(ProfileDatabaseFactory(name="Elsewhere"))
    api_client.force_authenticate(outsider)

    assert api_client.get(subs_url(profile)).status_code == 404
    response = api_client.post(
        subs_url(profile),
        {"resource": resource.pk, "channel": "email", "contact": "x@example.com"},
        format="json",
    )
    assert response.status_code == 404
    assert api_client.get(sub_url(subscription)).status_code == 404
    assert api_client.patch(sub_url(subscription), {"status": "invalid"}).status_code == 404
    assert Subscription.objects.count() == 1


def test_an_unknown_profile_is_404(as_alice):
    assert (
        as_alice.get("/api/v1/profiles/000000000000000000000000/subscriptions/").status_code == 404
    )


def test_a_profile_of_another_database_stays_hidden_from_bob(as_bob, resource):
    stranger = ProfileFactory(database=ProfileDatabaseFactory(name="Other"))

    assert as_bob.get(subs_url(stranger)).status_code == 404
