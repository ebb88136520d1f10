"""The admin of products and orders: scoped to the staff member's databases, hidden from
staff without the market permissions, an order edited with its lines inline."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from market.models import Order, OrderLine, Product
from market.roles import MARKET_PERMISSIONS
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.market.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


def changelist(model):
    return reverse(f"admin:market_{model}_changelist")


@pytest.mark.parametrize("model", ["product", "order"])
def test_every_list_shows_only_the_staff_member_s_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "Shown"), (hidden, "Hidden")):
        ProductFactory(database=db, sku=f"{name}-SKU")
        OrderFactory(profile=ProfileFactory(database=db), number=f"{name}-1")
    html = dana.get(changelist(model)).content.decode()
    assert "Shown-" in html and "Hidden-" not in html
    hidden_order = Order.objects.get(number="Hidden-1")
    response = dana.get(reverse("admin:market_order_change", args=[hidden_order.pk]))
    assert response.status_code == 302  # to the admin index: it is not shown


def test_staff_without_the_market_role_do_not_see_orders(client, database, profile):
    staff = grant(UserFactory(username="sam", is_staff=True), *MARKETER_PERMISSIONS)
    database.members.add(staff)
    order = OrderFactory(profile=profile)
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Orders" not in index and "Products" not in index
    assert client.get(changelist("order")).status_code == 403
    assert client.get(changelist("product")).status_code == 403
    assert client.get(reverse("admin:market_order_change", args=[order.pk])).status_code == 403


def test_staff_with_the_market_role_see_them(client, database, profile):
    staff = grant(
        UserFactory(username="sam", is_staff=True), *MARKETER_PERMISSIONS, *MARKET_PERMISSIONS
    )
    database.members.add(staff)
    OrderFactory(profile=profile, number="A-77")
    client.force_login(staff)
    assert "Orders" in client.get(reverse("admin:index")).content.decode()
    assert "A-77" in client.get(changelist("order")).content.decode()


def inline_data(lines, initial=0):
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        data |= {f"lines-{index}-{key}": value for key, value in line.items()}
    return data


def test_an_order_is_added_with_its_lines_and_its_total_computed(
    admin_client, database, profile, tee, mug
):
    data = {
        "database": database.pk,
        "profile": profile.pk,
        "number": "A-5",
        "status": "paid",
        "currency": "",
    } | inline_data(
        [
            {"product": tee.pk, "quantity": "3", "price": ""},
            {"product": mug.pk, "quantity": "1", "price": "5.00"},
        ]
    )
    response = admin_client.post(reverse("admin:market_order_add"), data)
    assert response.status_code == 302, response.context["errors"]
    order = Order.objects.get()
    assert order.total == Decimal("64.70")  # 3 x 19.90 + 5.00
    assert [(line.sku, line.name, line.price) for line in order.lines.all()] == [
        ("TEE-M", "T-shirt M", Decimal("19.90")),
        ("MUG", "Mug", Decimal("5.00")),
    ]


def test_a_change_of_lines_recomputes_the_total(admin_client, profile, tee):
    order = OrderFactory(profile=profile, number="A-6")
    line = OrderLineFactory(order=order, product=tee, quantity=1)
    order.recompute_total()
    data = {
        "profile": profile.pk,
        "number": "A-6",
        "status": "delivered",
        "currency": "",
    } | inline_data(
        [{"id": line.pk, "order": order.pk, "product": tee.pk, "quantity": "4", "price": "19.90"}],
        initial=1,
    )
    response = admin_client.post(reverse("admin:market_order_change", args=[order.pk]), data)
    assert response.status_code == 302, response.context["errors"]
    order.refresh_from_db()
    assert order.total == Decimal("79.60") and order.status == "delivered"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"quantity": "0"}, "greater than or equal to 1"),
        ({"quantity": "-2"}, "greater than or equal to"),
        ({"price": "-1"}, "greater than or equal to 0"),
    ],
)
def test_a_bad_line_is_refused_beside_its_field(
    admin_client, database, profile, tee, line, message
):
    data = {"database": database.pk, "profile": profile.pk, "number": "A-7", "status": "new"}
    data |= inline_data([{"product": tee.pk, "quantity": "1", "price": ""} | line])
    response = admin_client.post(reverse("admin:market_order_add"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_a_product_of_another_database_is_refused(admin_client, database, profile):
    foreign = ProductFactory(database=ProfileDatabaseFactory(name="Partners"))
    data = {"database": database.pk, "profile": profile.pk, "number": "A-8", "status": "new"}
    data |= inline_data([{"product": foreign.pk, "quantity": "1", "price": ""}])
    response = admin_client.post(reverse("admin:market_order_add"), data)
    assert "Choose a product of the order" in response.content.decode()
    assert not Order.objects.exists()


def test_a_profile_of_another_database_is_refused(admin_client, database, tee):
    stranger = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    data = {"database": database.pk, "profile": stranger.pk, "number": "A-9", "status": "new"}
    data |= inline_data([{"product": tee.pk, "quantity": "1", "price": ""}])
    response = admin_client.post(reverse("admin:market_order_add"), data)
    assert "is not in database" in response.content.decode()
    assert not Order.objects.exists()


def test_a_line_whose_sku_the_catalog_lacks_is_shown_and_kept(admin_client, profile):
    order = OrderFactory(profile=profile, number="A-10")
    line = OrderLineFactory(order=order, product=None, sku="NOPE", name="", price=Decimal("2.00"))
    order.recompute_total()
    url = reverse("admin:market_order_change", args=[order.pk])
    response = admin_client.get(url)
    assert response.status_code == 200 and "NOPE" in response.content.decode()
    data = {"profile": profile.pk, "number": "A-10", "status": "paid", "currency": ""}
    data |= inline_data(
        [{"id": line.pk, "order": order.pk, "product": "", "quantity": "3", "price": "2.00"}],
        initial=1,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.sku, line.product, line.quantity) == ("NOPE", None, 3)
    assert order.status == "paid" and order.total == Decimal("6.00")


# -- Catalog-wide products (of no database) ----------------------------------------------


def test_staff_of_different_databases_both_list_a_catalog_wide_product(client, database):
    partners = ProfileDatabaseFactory(name="Partners")
    ProductFactory(database=None, sku="CAP")
    ProductFactory(database=database, sku="OWN")
    ProductFactory(database=partners, sku="THEIRS")
    for name, db in (("dana", database), ("pat", partners)):
        staff = grant(UserFactory(username=name, is_staff=True), "view_profile", "view_product")
        db.members.add(staff)
        client.force_login(staff)
        response = client.get(changelist("product"))
        skus = {product.sku for product in response.context["cl"].result_list}
        assert skus == {"CAP", "OWN" if db == database else "THEIRS"}
        assert "Catalog-wide (all databases)" in response.content.decode()


def test_the_product_list_filters_the_catalog_wide_ones(dana, database):
    ProductFactory(database=None, sku="CAP")
    ProductFactory(database=database, sku="OWN")
    response = dana.get(changelist("product"), {"database__isnull": "True"})
    assert [product.sku for product in response.context["cl"].result_list] == ["CAP"]
    response = dana.get(changelist("product"), {"database__id__exact": database.pk})
    assert [product.sku for product in response.context["cl"].result_list] == ["OWN"]


def test_a_catalog_wide_product_is_added_without_a_database(dana):
    add = reverse("admin:market_product_add")
    assert "Catalog-wide (all databases)" in dana.get(add).content.decode()
    data = {"database": "", "sku": "CAP", "name": "Cap", "price": "3.00", "currency": ""}
    response = dana.post(add, data)
    assert response.status_code == 302, response.context["errors"]
    assert Product.objects.get().database is None


def test_an_order_line_may_be_a_catalog_wide_product(dana, database, profile):
    cap = ProductFactory(database=None, sku="CAP", name="Cap", price=Decimal("4.00"))
    ProductFactory(database=ProfileDatabaseFactory(name="Partners"), sku="HID")
    add = reverse("admin:market_order_add")
    line_form = dana.get(add).context["inline_admin_formsets"][0].formset.forms[0]
    assert set(line_form.fields["product"].queryset) == {cap}  # not another database's
    choices = [label for _, label in line_form.fields["product"].choices]
    assert "CAP Cap (catalog-wide)" in choices  # told apart from a database's CAP
    data = {"database": database.pk, "profile": profile.pk, "number": "A-11", "status": "new"}
    data |= inline_data([{"product": cap.pk, "quantity": "2", "price": ""}])
    response = dana.post(add, data)
    assert response.status_code == 302, response.context["errors"]
    line = OrderLine.objects.get()
    assert (line.product, line.sku, line.name, line.price) == (cap, "CAP", "Cap", Decimal("4.00"))
    assert Order.objects.get().total == Decimal("8.00")
