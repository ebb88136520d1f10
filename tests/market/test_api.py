"""The market API of the contract: products/, orders/ (lines written with the order, the
total computed) and profiles/{profile_id}/orders/, all behind the market permissions."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from market.models import Order, OrderLine, Product
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.market.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
ORDERS = "/api/v1/orders/"


def profile_orders(profile):
    return f"/api/v1/profiles/{profile.profile_id}/orders/"


def order_body(profile, **changes):
    body = {
        "profile_id": profile.profile_id,
        "number": "A-1001",
        "lines": [{"sku": "TEE-M", "quantity": 2, "price": 19.9}, {"sku": "MUG", "quantity": 1}],
    }
    return body | changes


# -- Orders ------------------------------------------------------------------------------


def test_it_creates_an_order_with_its_lines_and_total(as_merchant, profile, tee, mug, database):
    response = as_merchant.post(ORDERS, order_body(profile), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["profile_id"] == profile.profile_id
    assert data["number"] == "A-1001" and data["status"] == "new"
    assert data["database"] == database.pk
    assert data["total"] == 48.3  # 2 x 19.90 + 8.50 (the mug's own price)
    assert [(line["sku"], line["quantity"], line["price"]) for line in data["lines"]] == [
        ("TEE-M", 2, 19.9),
        ("MUG", 1, 8.5),
    ]
    assert data["lines"][0]["name"] == "T-shirt M" and data["lines"][0]["amount"] == 39.8
    assert data["created_at"]
    order = Order.objects.get()
    assert order.total == Decimal("48.30") and order.profile == profile
    assert [line.product for line in order.lines.all()] == [tee, mug]


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ({"sku": "MUG", "quantity": -1}, "lines[1].quantity: Enter a quantity of at least 1"),
        ({"sku": "MUG", "quantity": 0}, "lines[1].quantity: Enter a quantity of at least 1"),
        ({"sku": "MUG", "quantity": "2"}, "lines[1].quantity: Enter the quantity as a whole"),
        ({"sku": "MUG", "quantity": 1.5}, "lines[1].quantity: Enter the quantity as a whole"),
        ({"sku": "MUG", "quantity": True}, "lines[1].quantity: Enter the quantity as a whole"),
        ({"sku": "MUG"}, "lines[1].quantity: This key is required"),
        ({"sku": "MUG", "quantity": 1, "price": -0.01}, "lines[1].price: Enter a price of 0"),
        ({"sku": "MUG", "quantity": 1, "price": 1.234}, "lines[1].price: Enter a price with at"),
        ({"sku": "MUG", "quantity": 1, "price": "cheap"}, "lines[1].price: Enter a price as a"),
        ({"sku": "NOPE", "quantity": 1}, "lines[1].price: Database “Customers” has no product"),
        ({"quantity": 1}, "lines[1].sku: This key is required"),
        ({"sku": "MUG", "quantity": 1, "discount": 5}, "lines[1].discount: Unknown field"),
        ("MUG", "lines[1]: Enter an object"),
    ],
)
def test_a_bad_line_is_a_400_naming_it_and_writes_nothing(
    as_merchant, profile, tee, mug, line, named
):
    body = order_body(profile, lines=[{"sku": "TEE-M", "quantity": 1}, line])
    response = as_merchant.post(ORDERS, body, format="json")
    assert response.status_code == 400
    messages = response.json()["lines"]
    assert any(message.startswith(named) for message in messages), messages
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_every_bad_line_is_named_at_once(as_merchant, profile, tee):
    lines = [{"sku": "TEE-M", "quantity": -3}, {"sku": "TEE-M", "quantity": 1, "price": -5}]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    messages = response.json()["lines"]
    assert messages[0].startswith("lines[0].quantity:") and "got -3" in messages[0]
    assert messages[1].startswith("lines[1].price:")


@pytest.mark.parametrize(
    ("lines", "message"),
    [([], "at least one line"), ({"sku": "TEE-M"}, "Enter a list"), ("TEE-M", "Enter a list")],
)
def test_the_lines_must_be_a_list_of_at_least_one(as_merchant, profile, tee, lines, message):
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 400 and message in response.json()["lines"][0]
    assert not Order.objects.exists()


def test_an_order_needs_its_lines(as_merchant, profile, tee):
    body = order_body(profile)
    del body["lines"]
    response = as_merchant.post(ORDERS, body, format="json")
    assert response.status_code == 400 and "lines" in response.json()


def test_a_product_of_another_database_is_an_unknown_sku(as_merchant, profile, tee):
    ProductFactory(database=ProfileDatabaseFactory(name="Partners"), sku="MUG")
    response = as_merchant.post(ORDERS, order_body(profile), format="json")
    assert response.status_code == 400
    assert response.json()["lines"] == [
        "lines[1].price: Database “Customers” has no product with SKU “MUG” and no catalog-wide "
        "product has it: give the line's price."
    ]
    lines = [{"sku": "MUG", "quantity": 1, "price": "3.00"}]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 201 and response.json()["lines"][0]["product"] is None
    assert OrderLine.objects.get().product is None


def test_it_accepts_a_line_whose_sku_the_catalog_lacks(as_merchant, profile, database):
    body = {
        "profile_id": profile.profile_id,
        "number": "A-1002",
        "lines": [{"sku": "NOPE", "quantity": 1, "price": 1}],
    }
    response = as_merchant.post(ORDERS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["total"] == 1.0 and data["database"] == database.pk
    line = data["lines"][0]
    assert (line["sku"], line["quantity"], line["price"], line["product"]) == ("NOPE", 1, 1.0, None)
    stored = OrderLine.objects.get()
    assert (stored.sku, stored.quantity, stored.price) == ("NOPE", 1, Decimal("1.00"))
    assert stored.product is None and stored.order.total == Decimal("1.00")
    listed = as_merchant.get(profile_orders(profile)).json()["results"]
    assert [order["number"] for order in listed] == ["A-1002"]
    assert listed[0]["lines"][0]["sku"] == "NOPE" and listed[0]["lines"][0]["price"] == 1.0
    assert as_merchant.get(ORDERS).json()["results"][0]["lines"] == data["lines"]


def test_catalog_and_other_skus_mix_in_one_order(as_merchant, profile, tee):
    lines = [
        {"sku": "TEE-M", "quantity": 2},
        {"sku": " GIFT-CARD ", "quantity": 1, "price": "25.00"},
    ]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == 64.8  # 2 x 19.90 (the product's price) + 25.00
    stored = list(OrderLine.objects.order_by("position"))
    assert [(line.sku, line.product) for line in stored] == [("TEE-M", tee), ("GIFT-CARD", None)]
    assert stored[0].name == "T-shirt M" and stored[1].name == ""


def test_an_order_of_other_skus_can_be_put_back_as_shown(as_merchant, profile):
    lines = [{"sku": "NOPE", "quantity": 3, "price": 2.5}]
    order = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json").json()
    url = f"{ORDERS}{order['id']}/"
    shown = as_merchant.get(url).json()
    shown["status"] = "paid"
    response = as_merchant.put(url, shown, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["total"] == 7.5 and response.json()["lines"][0]["sku"] == "NOPE"


def test_a_profile_of_another_database_is_a_400_naming_profile_id(
    as_merchant, merchant, profile, tee, mug
):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    stranger = ProfileFactory(database=partners)
    body = order_body(stranger, database=profile.database_id)
    response = as_merchant.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert "is not in “Customers”" in response.json()["profile_id"][0]
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Hidden"))
    response = as_merchant.post(ORDERS, order_body(hidden), format="json")
    assert response.status_code == 400 and "No profile with profile_id" in str(response.json())
    assert not Order.objects.exists()


def test_an_order_stays_in_its_database(as_merchant, merchant, profile, tee, mug):
    order = as_merchant.post(ORDERS, order_body(profile), format="json").json()
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    other = ProfileFactory(database=partners)
    url = f"{ORDERS}{order['id']}/"
    response = as_merchant.patch(url, {"profile_id": other.profile_id}, format="json")
    assert response.status_code == 400 and "profile_id" in response.json()
    response = as_merchant.patch(url, {"database": partners.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()
    assert Order.objects.get().profile == profile


def test_the_number_is_unique_in_the_database(as_merchant, merchant, profile, tee, mug):
    assert as_merchant.post(ORDERS, order_body(profile), format="json").status_code == 201
    response = as_merchant.post(ORDERS, order_body(profile), format="json")
    assert response.status_code == 400
    assert "already has order “A-1001”" in response.json()["number"][0]
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    ProductFactory(database=partners, sku="TEE-M")
    ProductFactory(database=partners, sku="MUG")
    elsewhere = order_body(ProfileFactory(database=partners))
    assert as_merchant.post(ORDERS, elsewhere, format="json").status_code == 201
    assert Order.objects.count() == 2


def test_the_total_is_computed_never_taken(as_merchant, profile, tee, mug):
    response = as_merchant.post(ORDERS, order_body(profile, total=1), format="json")
    assert response.status_code == 201 and response.json()["total"] == 48.3
    assert Order.objects.get().total == Decimal("48.30")


def test_a_change_of_lines_replaces_them_and_the_total_follows(as_merchant, profile, tee, mug):
    order = as_merchant.post(ORDERS, order_body(profile), format="json").json()
    url = f"{ORDERS}{order['id']}/"
    response = as_merchant.patch(url, {"lines": [{"sku": "MUG", "quantity": 4}]}, format="json")
    assert response.status_code == 200
    assert response.json()["total"] == 34.0
    assert [(line.sku, line.quantity) for line in OrderLine.objects.all()] == [("MUG", 4)]
    response = as_merchant.patch(url, {"status": "shipped"}, format="json")
    assert response.json()["status"] == "shipped" and response.json()["total"] == 34.0
    assert OrderLine.objects.count() == 1


def test_a_refused_change_leaves_the_order_as_it_was(as_merchant, profile, tee, mug):
    order = as_merchant.post(ORDERS, order_body(profile), format="json").json()
    url = f"{ORDERS}{order['id']}/"
    bad = {"status": "paid", "lines": [{"sku": "MUG", "quantity": 1}, {"sku": "X", "quantity": 1}]}
    response = as_merchant.patch(url, bad, format="json")
    assert response.status_code == 400
    assert response.json()["lines"][0].startswith("lines[1].price")
    stored = Order.objects.get()
    assert stored.status == "new" and stored.total == Decimal("48.30")
    assert stored.lines.count() == 2


def test_what_get_shows_can_be_put_back(as_merchant, profile, tee, mug):
    order = as_merchant.post(ORDERS, order_body(profile), format="json").json()
    url = f"{ORDERS}{order['id']}/"
    shown = as_merchant.get(url).json()
    shown["status"] = "paid"
    response = as_merchant.put(url, shown, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "paid" and response.json()["total"] == 48.3


def test_an_unknown_status_is_refused(as_merchant, profile, tee, mug):
    response = as_merchant.post(ORDERS, order_body(profile, status="lost"), format="json")
    assert response.status_code == 400 and "status" in response.json()


def test_deleting_an_order_deletes_its_lines(as_merchant, profile, tee, mug):
    order = as_merchant.post(ORDERS, order_body(profile), format="json").json()
    assert as_merchant.delete(f"{ORDERS}{order['id']}/").status_code == 204
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_the_list_filters_and_pages_without_counting(as_merchant, profile, tee, mug, database):
    other = ProfileFactory(database=database)
    OrderFactory(profile=profile, number="A-1", status="paid")
    OrderFactory(profile=other, number="A-2")
    data = as_merchant.get(ORDERS, {"profile_id": profile.profile_id}).json()
    assert [order["number"] for order in data["results"]] == ["A-1"]
    assert set(data) >= {"results", "next"}
    data = as_merchant.get(ORDERS, {"status": "new"}).json()
    assert [order["number"] for order in data["results"]] == ["A-2"]


def test_the_profile_lists_its_orders_newest_first(as_merchant, profile, database):
    OrderFactory(profile=profile, number="A-1")
    OrderFactory(profile=profile, number="A-2")
    OrderFactory(profile=ProfileFactory(database=database), number="B-1")
    data = as_merchant.get(profile_orders(profile)).json()
    assert [order["number"] for order in data["results"]] == ["A-2", "A-1"]
    assert "next" in data


def test_listing_many_orders_reads_a_bounded_number_of_queries(
    as_merchant, profile, django_assert_max_num_queries
):
    for number in range(30):
        order = OrderFactory(profile=profile, number=f"N-{number}")
        OrderLineFactory.create_batch(3, order=order)
    with django_assert_max_num_queries(8):
        response = as_merchant.get(ORDERS)
    assert len(response.json()["results"]) == 30
    with django_assert_max_num_queries(8):
        response = as_merchant.get(profile_orders(profile))
    assert all(len(order["lines"]) == 3 for order in response.json()["results"])


# -- Who may -----------------------------------------------------------------------------


def test_the_marketer_without_the_market_role_gets_403(as_bob, profile, tee):
    order = OrderFactory(profile=profile)
    assert as_bob.get(ORDERS).status_code == 403
    assert as_bob.get(f"{ORDERS}{order.pk}/").status_code == 403
    assert as_bob.get(profile_orders(profile)).status_code == 403
    assert as_bob.post(ORDERS, order_body(profile), format="json").status_code == 403
    assert as_bob.get(PRODUCTS).status_code == 403
    assert Order.objects.count() == 1


def test_viewing_orders_does_not_allow_writing_them(api_client, bob, profile, tee, mug):
    grant(bob, "view_order", "view_product")
    api_client.force_authenticate(bob)
    order = OrderFactory(profile=profile)
    assert api_client.get(f"{ORDERS}{order.pk}/").status_code == 200
    assert api_client.get(profile_orders(profile)).status_code == 200
    assert api_client.post(ORDERS, order_body(profile), format="json").status_code == 403
    assert api_client.delete(f"{ORDERS}{order.pk}/").status_code == 403
    assert api_client.patch(PRODUCTS + f"{tee.pk}/", {"price": 1}, format="json").status_code == 403


def test_an_order_of_another_database_does_not_exist(as_merchant):
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Hidden"))
    order = OrderFactory(profile=hidden)
    product = ProductFactory(database=hidden.database)
    assert as_merchant.get(f"{ORDERS}{order.pk}/").status_code == 404
    assert as_merchant.delete(f"{ORDERS}{order.pk}/").status_code == 404
    assert as_merchant.get(profile_orders(hidden)).status_code == 404
    assert as_merchant.get(f"{PRODUCTS}{product.pk}/").status_code == 404
    assert as_merchant.get(ORDERS).json()["results"] == []
    assert Order.objects.count() == 1


def test_anonymous_requests_are_refused(api_client, profile):
    assert api_client.get(ORDERS).status_code in {401, 403}
    assert api_client.get(profile_orders(profile)).status_code in {401, 403}


def test_a_user_without_profiles_gets_nothing_even_with_the_market_role(api_client, database):
    outsider = grant(UserFactory(username="otto"), "view_order", "view_product")
    database.members.add(outsider)
    api_client.force_authenticate(outsider)
    assert api_client.get(profile_orders(ProfileFactory(database=database))).status_code == 403


# -- Products ----------------------------------------------------------------------------


def test_it_creates_reads_changes_and_deletes_a_product(as_merchant, database):
    body = {"database": database.pk, "sku": " CAP ", "name": "Cap", "price": 12.5}
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["sku"], data["name"], data["price"], data["currency"]) == ("CAP", "Cap", 12.5, "")
    url = f"{PRODUCTS}{data['id']}/"
    response = as_merchant.patch(url, {"price": 14, "currency": "EUR"}, format="json")
    assert response.json()["price"] == 14.0 and response.json()["currency"] == "EUR"
    assert as_merchant.get(PRODUCTS, {"sku": "CAP"}).json()["results"][0]["id"] == data["id"]
    assert as_merchant.delete(url).status_code == 204
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": "cheap"}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": 1.005}, "price"),
        ({"price": True}, "price"),
        ({"sku": ""}, "sku"),
        ({"sku": "   "}, "sku"),
        ({"currency": "euro"}, "currency"),
        ({"database": 999999}, "database"),
    ],
)
def test_a_bad_product_is_a_400_naming_the_field(as_merchant, database, changes, field):
    body = {"database": database.pk, "sku": "CAP", "name": "Cap", "price": 12.5} | changes
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Product.objects.exists()


def test_it_creates_a_product_as_the_spec_writes_it(as_merchant, database):
    body = {"sku": "SKU-AUD-1", "name": "Widget", "price": "9.99"}
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["sku"], data["name"], data["price"]) == ("SKU-AUD-1", "Widget", 9.99)
    assert data["database"] is None  # catalog-wide, though the merchant sees one database
    product = Product.objects.get()
    assert product.price == Decimal("9.99") and product.database is None


def test_a_decimal_text_price_is_kept_exact(as_merchant, database, tee):
    body = {"sku": "BIG", "name": "Big", "price": " 1234567.89 "}
    assert as_merchant.post(PRODUCTS, body, format="json").status_code == 201
    assert Product.objects.get(sku="BIG").price == Decimal("1234567.89")
    response = as_merchant.patch(f"{PRODUCTS}{tee.pk}/", {"price": "0.10"}, format="json")
    assert response.status_code == 200 and response.json()["price"] == 0.1
    tee.refresh_from_db()
    assert tee.price == Decimal("0.10")


def test_a_product_without_database_is_catalog_wide_for_who_sees_several(
    as_merchant, merchant, database
):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    body = {"sku": "SKU-1", "name": "Widget", "price": "9.99"}
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["database"] is None
    product = Product.objects.get()
    assert product.database is None and product.price == Decimal("9.99")
    shown = as_merchant.get(f"{PRODUCTS}{product.pk}/").json()
    assert shown["database"] is None and shown["sku"] == "SKU-1"
    body = {"sku": "SKU-2", "name": "Gadget", "price": 1, "database": None}
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 201 and response.json()["database"] is None
    response = as_merchant.post(PRODUCTS, body | {"database": partners.pk}, format="json")
    assert response.status_code == 201 and response.json()["database"] == partners.pk


def test_a_change_without_database_keeps_the_products_own(as_merchant, merchant, tee):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    body = {"sku": "TEE-M", "name": "Tee", "price": "21.00"}
    response = as_merchant.put(f"{PRODUCTS}{tee.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    tee.refresh_from_db()
    assert tee.database.name == "Customers" and tee.price == Decimal("21.00")


def test_a_user_of_no_database_creates_only_catalog_wide_products(api_client, database):
    stranger = grant(UserFactory(username="sam"), "view_profile", "add_product", "view_product")
    api_client.force_authenticate(stranger)
    body = {"sku": "CAP", "name": "Cap", "price": 1}
    response = api_client.post(PRODUCTS, body | {"database": database.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()
    assert not Product.objects.exists()
    response = api_client.post(PRODUCTS, body, format="json")  # the model permission is enough
    assert response.status_code == 201 and response.json()["database"] is None
    assert Product.objects.get().database is None


def test_the_sku_is_unique_in_the_database(as_merchant, merchant, tee, database):
    body = {"database": database.pk, "sku": "TEE-M", "name": "Again", "price": 1}
    response = as_merchant.post(PRODUCTS, body, format="json")
    assert response.status_code == 400 and "already has SKU" in response.json()["sku"][0]
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(merchant)
    body["database"] = partners.pk
    assert as_merchant.post(PRODUCTS, body, format="json").status_code == 201


def test_the_sku_is_unique_among_the_catalog_wide_products(as_merchant, tee, database):
    body = {"sku": "CAP", "name": "Cap", "price": 1}
    assert as_merchant.post(PRODUCTS, body, format="json").status_code == 201
    response = as_merchant.post(PRODUCTS, body | {"sku": " CAP "}, format="json")
    assert response.status_code == 400
    assert response.json()["sku"] == ["A catalog-wide product already has SKU “CAP”."]
    assert Product.objects.filter(database=None).count() == 1
    # A database's product and a catalog-wide one may share an SKU, both ways round.
    response = as_merchant.post(PRODUCTS, body | {"database": database.pk}, format="json")
    assert response.status_code == 201
    response = as_merchant.post(
        PRODUCTS, {"sku": "TEE-M", "name": "Tee", "price": 2}, format="json"
    )
    assert response.status_code == 201 and response.json()["database"] is None
    other = as_merchant.post(PRODUCTS, body | {"sku": "HAT"}, format="json").json()
    response = as_merchant.patch(f"{PRODUCTS}{other['id']}/", {"sku": "CAP"}, format="json")
    assert response.status_code == 400 and "already has SKU “CAP”" in response.json()["sku"][0]


def test_the_database_keeps_a_catalog_wide_sku_unique_too(database):
    ProductFactory(database=None, sku="CAP")
    ProductFactory(database=database, sku="CAP")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(database=None, sku="CAP")
    assert Product.objects.filter(sku="CAP").count() == 2


def test_a_catalog_wide_product_stays_catalog_wide(as_merchant, tee, database):
    cap = ProductFactory(database=None, sku="CAP")
    url = f"{PRODUCTS}{cap.pk}/"
    response = as_merchant.patch(url, {"database": database.pk}, format="json")
    assert response.status_code == 400 and "cannot move" in response.json()["database"][0]
    shown = as_merchant.get(url).json()
    response = as_merchant.put(url, shown | {"price": 3}, format="json")
    assert response.status_code == 200 and response.json()["database"] is None
    response = as_merchant.patch(f"{PRODUCTS}{tee.pk}/", {"database": None}, format="json")
    assert response.status_code == 400 and "cannot move" in response.json()["database"][0]
    cap.refresh_from_db()
    tee.refresh_from_db()
    assert cap.database is None and cap.price == Decimal("3.00") and tee.database == database


def test_users_of_different_databases_both_see_a_catalog_wide_product(
    api_client, merchant, database
):
    partners = ProfileDatabaseFactory(name="Partners")
    partner = grant(UserFactory(username="pat"), "view_profile", "view_product")
    partners.members.add(partner)
    cap = ProductFactory(database=None, sku="CAP")
    ProductFactory(database=database, sku="OWN")
    ProductFactory(database=partners, sku="PARTNERS")
    seen = {}
    for user in (merchant, partner):
        api_client.force_authenticate(user)
        listed = api_client.get(PRODUCTS).json()["results"]
        seen[user.username] = sorted((p["sku"], p["database"]) for p in listed)
        assert api_client.get(f"{PRODUCTS}{cap.pk}/").json()["database"] is None
    assert seen == {
        "mona": [("CAP", None), ("OWN", database.pk)],
        "pat": [("CAP", None), ("PARTNERS", partners.pk)],
    }


def test_who_may_not_see_products_sees_no_catalog_wide_one(as_bob, api_client, charlie):
    cap = ProductFactory(database=None, sku="CAP")
    assert as_bob.get(PRODUCTS).status_code == 403
    assert as_bob.get(f"{PRODUCTS}{cap.pk}/").status_code == 403
    assert Product.objects.visible_to(charlie).count() == 0
    assert Product.objects.visible_to(AnonymousUser()).count() == 0


def test_a_line_of_a_catalog_wide_sku_takes_that_product_and_its_price(
    as_merchant, profile, database
):
    cap = ProductFactory(database=None, sku="CAP", name="Cap", price=Decimal("12.50"))
    lines = [{"sku": "CAP", "quantity": 2}, {"sku": "CAP", "quantity": 1, "price": "10.00"}]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["database"] == database.pk and data["total"] == 35.0  # 2 x 12.50 + 10.00
    assert [(line["product"], line["price"]) for line in data["lines"]] == [
        (cap.pk, 12.5),
        (cap.pk, 10.0),
    ]
    stored = list(OrderLine.objects.order_by("position"))
    assert [(line.product, line.name, line.price) for line in stored] == [
        (cap, "Cap", Decimal("12.50")),
        (cap, "Cap", Decimal("10.00")),
    ]


def test_the_database_s_product_wins_over_a_catalog_wide_one_of_its_sku(as_merchant, profile, tee):
    ProductFactory(database=None, sku="TEE-M", name="Any tee", price=Decimal("5.00"))
    ProductFactory(database=ProfileDatabaseFactory(name="Partners"), sku="TEE-M")
    lines = [{"sku": "TEE-M", "quantity": 1}]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 201, response.json()
    line = response.json()["lines"][0]
    assert (line["product"], line["price"], line["name"]) == (tee.pk, 19.9, "T-shirt M")
    assert OrderLine.objects.get().product == tee


def test_a_line_of_no_product_anywhere_still_needs_its_price(as_merchant, profile):
    ProductFactory(database=None, sku="CAP")
    lines = [{"sku": "CAP", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]
    response = as_merchant.post(ORDERS, order_body(profile, lines=lines), format="json")
    assert response.status_code == 400
    assert response.json()["lines"] == [
        "lines[1].price: Database “Customers” has no product with SKU “NOPE” and no "
        "catalog-wide product has it: give the line's price."
    ]
    assert not Order.objects.exists()


def test_deleting_a_product_keeps_the_lines_sold(as_merchant, profile, tee, mug):
    as_merchant.post(ORDERS, order_body(profile), format="json")
    assert as_merchant.delete(f"{PRODUCTS}{tee.pk}/").status_code == 204
    line = OrderLine.objects.get(sku="TEE-M")
    assert line.product is None and line.name == "T-shirt M"
    assert Order.objects.get().total == Decimal("48.30")


def test_a_renamed_product_leaves_past_orders_as_sold(as_merchant, profile, tee, mug):
    as_merchant.post(ORDERS, order_body(profile), format="json")
    as_merchant.patch(f"{PRODUCTS}{tee.pk}/", {"name": "Tee", "price": 25}, format="json")
    shown = as_merchant.get(profile_orders(profile)).json()["results"][0]["lines"][0]
    assert shown["name"] == "T-shirt M" and shown["price"] == 19.9
