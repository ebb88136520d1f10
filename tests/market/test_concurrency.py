"""Two shops sending the same order number at the same moment: one order, a 400 for the
others (never a 500, never two orders with one number)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from market.models import Order, OrderLine, Product
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.market.factories import ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 6


def test_concurrent_orders_with_one_number_make_one_order():
    database = ProfileDatabaseFactory()
    profile = ProfileFactory(database=database)
    ProductFactory(database=database, sku="TEE", price=Decimal("10.00"))
    user = UserFactory(username="shop", is_staff=True, is_superuser=True)
    answers = []

    def order(n):
        client = APIClient()
        client.force_authenticate(user)
        body = {
            "profile_id": profile.profile_id,
            "number": "A-1",
            "lines": [{"sku": "TEE", "quantity": n + 1}],
        }
        answers.append(client.post("/api/v1/orders/", body, format="json").status_code)

    errors = run_together(THREADS, order)

    assert errors == []
    assert sorted(answers) == [201] + [400] * (THREADS - 1)
    assert Order.objects.count() == 1
    stored = Order.objects.get()
    assert stored.lines.count() == 1 and OrderLine.objects.count() == 1
    assert stored.total == stored.lines.get().amount


def test_concurrent_catalog_wide_products_of_one_sku_make_one_product():
    user = UserFactory(username="shop", is_staff=True, is_superuser=True)
    answers = []

    def create(n):
        client = APIClient()
        client.force_authenticate(user)
        body = {"sku": "CAP", "name": f"Cap {n}", "price": "1.00"}
        response = client.post("/api/v1/products/", body, format="json")
        answers.append((response.status_code, response.json().get("sku")))

    errors = run_together(THREADS, create)

    assert errors == []
    assert sorted(code for code, _ in answers) == [201] + [400] * (THREADS - 1)
    refused = [sku for code, sku in answers if code == 400]
    assert all(sku[0].startswith("A catalog-wide product already has") for sku in refused), refused
    assert Product.objects.filter(database=None, sku="CAP").count() == 1
