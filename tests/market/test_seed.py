"""The demo's products and orders, and the market role it sets up."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import F, Sum

from market.models import Order, OrderLine, Product
from market.roles import MARKET_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", "--profiles", "60", stdout=io.StringIO())


def test_the_online_store_has_products_and_its_customers_orders(seeded):
    assert Product.objects.filter(database__name="Online store").count() == 8
    orders = Order.objects.select_related("profile")
    assert orders.exists()
    assert all(order.profile.database_id == order.database_id for order in orders)
    for order in orders.annotate(summed=Sum(F("lines__quantity") * F("lines__price"))):
        assert order.summed == order.total and order.total > Decimal(0)
    assert not OrderLine.objects.filter(product__isnull=True).exists()
    assert set(orders.values_list("status", flat=True)) <= set(Order.Status.values)


def test_only_the_market_role_holds_the_market_permissions(seeded):
    market = Group.objects.get(name=MARKET_GROUP)
    codenames = set(market.permissions.values_list("codename", flat=True))
    assert {"view_order", "change_order", "view_product"} <= codenames
    marketers = Group.objects.get(name="Marketers")
    assert not marketers.permissions.filter(content_type__app_label="market").exists()


def test_seeding_again_adds_no_orders(seeded):
    count = Order.objects.count()
    call_command("seed_demo", "--profiles", "60", stdout=io.StringIO())
    assert Order.objects.count() == count
