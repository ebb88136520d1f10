"""The Orders part of the profile's Data section: the latest orders with their lines, for
users with the market role only (absent, not disabled, for the others)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.market.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


def data_url(profile):
    return reverse("profiles:data", args=[profile.profile_id])


@pytest.fixture
def order(profile, tee, mug):
    order = OrderFactory(profile=profile, number="A-1001", status="shipped", currency="EUR")
    OrderLineFactory(order=order, product=tee, quantity=2)
    OrderLineFactory(order=order, product=mug, quantity=1, price=Decimal("7.00"))
    order.recompute_total()
    return order


def test_it_shows_the_profile_s_orders_with_their_lines(client, merchant, profile, order):
    OrderFactory(profile=ProfileFactory(database=profile.database), number="B-2002")
    client.force_login(merchant)
    response = client.get(data_url(profile), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="part-orders"' in html and ">Orders</h3>" in html
    assert "A-1001" in html and "B-2002" not in html
    assert "Shipped" in html and "46.80 EUR" in html  # 2 x 19.90 + 7.00
    assert '<td class="num">2</td>' in html  # two lines
    assert "<details" in html and "T-shirt M" in html and "<code>MUG</code>" in html
    assert "1 order." in html


def test_a_line_whose_sku_the_catalog_lacks_shows_as_sold(client, merchant, profile):
    order = OrderFactory(profile=profile, number="A-1002")
    OrderLineFactory(
        order=order, product=None, sku="NOPE", name="", quantity=3, price=Decimal("1.50")
    )
    order.recompute_total()
    client.force_login(merchant)
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert "A-1002" in html and "<code>NOPE</code>" in html
    assert "Not in the catalog" in html and '<td class="num">4.50</td>' in html


def test_the_whole_page_shows_it_too(client, merchant, profile, order):
    client.force_login(merchant)
    html = client.get(data_url(profile)).content.decode()
    assert "<html" in html and 'id="part-orders"' in html and "A-1001" in html


def test_a_profile_without_orders_says_so(client, merchant, profile):
    client.force_login(merchant)
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert 'id="part-orders"' in html and "No orders yet." in html


def test_the_part_is_absent_without_the_market_role(client, bob, profile, order):
    client.force_login(bob)
    response = client.get(data_url(profile), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "part-orders" not in html and "Orders" not in html and "A-1001" not in html
    assert "market.css" not in html


def test_the_part_is_absent_on_the_whole_page_too(client, bob, profile, order):
    client.force_login(bob)
    html = client.get(data_url(profile)).content.decode()
    assert "<html" in html and "part-orders" not in html and "A-1001" not in html


def test_another_database_s_profile_is_not_found(client, merchant):
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Hidden"))
    OrderFactory(profile=hidden)
    client.force_login(merchant)
    assert client.get(data_url(hidden), **HTMX).status_code == 404


def test_it_shows_the_latest_orders_in_a_bounded_number_of_queries(
    client, merchant, profile, tee, django_assert_max_num_queries
):
    client.force_login(merchant)
    client.get(data_url(profile), **HTMX)  # warm the per-process caches
    with django_assert_max_num_queries(40) as few:
        client.get(data_url(profile), **HTMX)
    for number in range(25):
        order = OrderFactory(profile=profile, number=f"N-{number:02d}")
        OrderLineFactory.create_batch(3, order=order, product=tee)
    with django_assert_max_num_queries(len(few.captured_queries) + 3):
        response = client.get(data_url(profile), **HTMX)
    html = response.content.decode()
    assert "The latest 10 of 25 orders." in html
    assert "N-24" in html and "N-14" not in html


def test_what_a_shop_sent_is_shown_as_text(client, merchant, profile):
    product = ProductFactory(database=profile.database, sku="<b>X</b>", name="<script>x</script>")
    order = OrderFactory(profile=profile, number="<img src=x>")
    OrderLineFactory(order=order, product=product)
    client.force_login(merchant)
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<img src=x>" not in html and "<b>X</b>" not in html


def test_a_line_of_a_catalog_wide_product_shows_its_name(client, merchant, profile):
    cap = ProductFactory(database=None, sku="CAP", name="Any cap")
    order = OrderFactory(profile=profile, number="A-1003")
    OrderLineFactory(order=order, product=cap)
    client.force_login(merchant)
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert "<code>CAP</code>" in html and "Any cap" in html
    assert "Not in the catalog" not in html
