"""Two shops sending the same order number at the same moment: one order, a 400 for the
others (never a 500, never two orders with one number)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from market.models import Order, OrderLine
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
