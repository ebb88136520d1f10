"""Orders in the personal-data export: the page and the API give them to who may read
orders elsewhere (the market role), and to nobody else, saying they were left out."""

import json

import pytest
from django.urls import reverse

from tests.factories import ProfileFactory
from tests.market.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

ORDERS_WITHHELD = {"section": "related", "key": "market.order", "permission": "market.view_order"}


def api_export(profile):
    return f"/api/v1/profiles/{profile.profile_id}/export/"


def page_export(profile):
    return reverse("profiles:export", args=[profile.profile_id])


def profile_orders(profile):
    return f"/api/v1/profiles/{profile.profile_id}/orders/"


@pytest.fixture
def order(profile, tee):
    order = OrderFactory(profile=profile, number="A-1001", status="shipped", currency="EUR")
    OrderLineFactory(order=order, product=tee, quantity=2)
    order.recompute_total()
    return order


def test_the_marketer_without_the_market_role_gets_no_orders_from_the_api_export(
    as_bob, profile, order
):
    assert as_bob.get(profile_orders(profile)).status_code == 403
    response = as_bob.get(api_export(profile))
    assert response.status_code == 200
    data = response.json()
    assert "market.order" not in data["related"]
    assert "A-1001" not in response.content.decode()
    assert ORDERS_WITHHELD in data["withheld"]
    assert data["profile"]["first_name"] == "Ann"  # the rest is exported as before


def test_the_marketer_without_the_market_role_gets_no_orders_from_the_page_export(
    client, bob, profile, order
):
    client.force_login(bob)
    response = client.get(page_export(profile))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert "market.order" not in data["related"]
    assert "A-1001" not in response.content.decode()
    assert ORDERS_WITHHELD in data["withheld"]


def test_the_market_role_gets_the_orders_in_both_exports(
    client, as_merchant, merchant, profile, order, tee
):
    assert as_merchant.get(profile_orders(profile)).status_code == 200
    client.force_login(merchant)
    for data in (
        as_merchant.get(api_export(profile)).json(),
        json.loads(client.get(page_export(profile)).content),
    ):
        [row] = data["related"]["market.order"]
        assert (row["id"], row["number"], row["status"]) == (order.pk, "A-1001", "shipped")
        assert row["total"] == "39.80"
        [line] = row["lines"]  # the order's lines go with it
        assert (line["sku"], line["quantity"], line["price"]) == (tee.sku, 2, str(tee.price))
        assert ORDERS_WITHHELD not in data["withheld"]


def test_the_export_says_orders_were_left_out_whether_or_not_there_are_any(
    as_bob, profile, database
):
    """The withheld list tells that orders were left out, not that the profile has any."""
    buyer = ProfileFactory(database=database)
    OrderFactory(profile=buyer)
    assert (
        as_bob.get(api_export(profile)).json()["withheld"]
        == (as_bob.get(api_export(buyer)).json()["withheld"])
    )
