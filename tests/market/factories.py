from decimal import Decimal

import factory

from market.models import Order, OrderLine, Product
from tests.factories import ProfileDatabaseFactory, ProfileFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    database = factory.SubFactory(ProfileDatabaseFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("10.00")


class OrderFactory(factory.django.DjangoModelFactory):
    """An order without lines (add them with OrderLineFactory, then recompute_total)."""

    class Meta:
        model = Order

    profile = factory.SubFactory(ProfileFactory)
    database = factory.SelfAttribute("profile.database")
    number = factory.Sequence(lambda n: f"A-{n:05d}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, database=factory.SelfAttribute("..order.database"))
    sku = factory.SelfAttribute("product.sku")
    name = factory.SelfAttribute("product.name")
    quantity = 1
    price = factory.SelfAttribute("product.price")
