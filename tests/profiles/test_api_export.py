import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Segment, SegmentMembership
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/export/"


@pytest.fixture
def profile(database):
    CustomFieldFactory(database=database, name="plan", type="line")
    profile = ProfileFactory(
        database=database,
        email="ann@example.com",
        first_name="Ann",
        phones=["+12025550179"],
        custom_values={"plan": "gold"},
        reg_ip="8.8.8.8",
    )
    EventFactory(profile=profile, type="open", data={"mailing": 7})
    segment = Segment.objects.create(name="VIP", database=database)
    SegmentMembership.objects.create(segment=segment, profile=profile)
    return profile


def test_it_exports_all_personal_data_as_json(api_client, bob, profile):
    api_client.force_authenticate(bob)
    response = api_client.get(url(profile))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["identifiers"] == {
        "profile_id": profile.profile_id,
        "md5": profile.md5,
        "xxh": profile.xxh,
    }
    assert data["profile"]["email"] == "ann@example.com"
    assert data["profile"]["first_name"] == "Ann"
    assert data["profile"]["reg_ip"] == "8.8.8.8"
    assert data["phones"] == ["+12025550179"]
    assert [(f["name"], f["value"]) for f in data["custom_fields"]] == [("plan", "gold")]
    assert {"open"} <= {event["type"] for event in data["events"]}
    assert [segment["name"] for segment in data["segments"]] == ["VIP"]


def test_it_needs_the_export_permission(api_client, database, profile):
    viewer = grant(UserFactory(username="vic"), "view_profile")
    database.members.add(viewer)
    api_client.force_authenticate(viewer)
    assert api_client.get(url(profile)).status_code == 403


def test_an_outsider_gets_404(api_client, profile):
    outsider = grant(UserFactory(username="olga"), *MARKETER_PERMISSIONS)
    ProfileDatabaseFactory(name="Elsewhere").members.add(outsider)
    api_client.force_authenticate(outsider)
    assert api_client.get(url(profile)).status_code == 404


def test_it_refuses_anonymous_users(api_client, profile):
    assert api_client.get(url(profile)).status_code in (401, 403)


def test_it_only_answers_get(api_client, bob, profile):
    api_client.force_authenticate(bob)
    assert api_client.post(url(profile)).status_code == 405


def test_the_export_reads_subscriptions_categories_in_one_query_not_one_per_row(
    api_client, bob, profile, django_assert_max_num_queries
):
    from tests.subscriptions.factories import CategoryFactory, ResourceFactory, SubscriptionFactory

    api_client.force_authenticate(bob)
    resource = ResourceFactory()
    news = CategoryFactory(resource=resource, name="News")
    SubscriptionFactory(profile=profile, resource=resource).categories.add(news)
    with CaptureQueriesContext(connection) as one:
        api_client.get(url(profile))
    for _ in range(20):
        SubscriptionFactory(profile=profile, resource=resource).categories.add(news)

    with django_assert_max_num_queries(len(one)):
        response = api_client.get(url(profile))

    rows = response.json()["related"]["subscriptions.subscription"]
    assert len(rows) == 21
    assert all(row["categories"] == [news.pk] for row in rows)


def test_a_user_who_may_view_everything_gets_a_complete_export(api_client, alice, profile):
    from tests.market.factories import OrderFactory

    order = OrderFactory(profile=profile)
    api_client.force_authenticate(alice)
    data = api_client.get(url(profile)).json()
    assert data["withheld"] == []
    assert [row["id"] for row in data["related"]["market.order"]] == [order.pk]
    assert {"subscriptions.subscription", "loyalty.membership"} <= set(data["related"])


def test_it_leaves_out_the_rows_the_user_may_not_view_and_says_so(api_client, database, profile):
    """Without a model's view permission its rows are left out of the export as they are
    refused by its own endpoint, and the export names them with the permission needed."""
    from tests.subscriptions.factories import SubscriptionFactory

    SubscriptionFactory(profile=profile)
    exporter = grant(UserFactory(username="eve"), "view_profile", "export_profile")
    database.members.add(exporter)
    api_client.force_authenticate(exporter)
    subscriptions = f"/api/v1/profiles/{profile.profile_id}/subscriptions/"
    assert api_client.get(subscriptions).status_code == 403

    data = api_client.get(url(profile)).json()

    assert "subscriptions.subscription" not in data["related"]
    assert {
        "section": "related",
        "key": "subscriptions.subscription",
        "permission": "subscriptions.view_subscription",
    } in data["withheld"]
    assert data["profile"]["email"] == "ann@example.com"
    assert {"open"} <= {event["type"] for event in data["events"]}


def test_a_membership_is_exported_with_its_points_transactions(api_client, alice, profile):
    """The rows that are part of a related row (a membership's transactions, an order's
    lines) are personal data too: each goes with its row, one query per kind."""
    from operations.loyalty import add_points, enrol
    from tests.loyalty.factories import ProgramFactory

    membership = enrol(ProgramFactory(database=profile.database), profile, source="ui")
    add_points(membership, 120, source="api")
    add_points(membership, -20, "Expired", source="ui")
    api_client.force_authenticate(alice)
    [row] = api_client.get(url(profile)).json()["related"]["loyalty.membership"]
    assert row["balance"] == 100
    assert [(t["points"], t["reason"], t["balance_after"]) for t in row["transactions"]] == [
        (120, "", 120),
        (-20, "Expired", 100),
    ]


def test_memberships_go_to_whoever_may_read_them_on_the_profile(api_client, database, profile):
    """A profile's loyalty memberships are read with the profile (its Loyalty section and
    API need only profiles.view_profile): the export gives them on the same terms."""
    from operations.loyalty import enrol
    from tests.loyalty.factories import ProgramFactory

    enrol(ProgramFactory(database=database, name="Club"), profile, source="ui")
    exporter = grant(UserFactory(username="eve"), "view_profile", "export_profile")
    database.members.add(exporter)
    api_client.force_authenticate(exporter)
    assert api_client.get(f"/api/v1/profiles/{profile.profile_id}/loyalty/").status_code == 200

    data = api_client.get(url(profile)).json()

    [row] = data["related"]["loyalty.membership"]
    assert row["balance"] == 0
    assert "loyalty.membership" not in {entry["key"] for entry in data["withheld"]}
