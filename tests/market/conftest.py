from decimal import Decimal

import pytest

from market.roles import MARKET_PERMISSIONS
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileFactory, UserFactory
from tests.market.factories import ProductFactory


@pytest.fixture
def merchant(db, database):
    """A marketer who also holds the market role: may read and write products and orders."""
    user = grant(UserFactory(username="mona"), *MARKETER_PERMISSIONS, *MARKET_PERMISSIONS)
    database.members.add(user)
    return user


@pytest.fixture
def as_merchant(api_client, merchant):
    api_client.force_authenticate(merchant)
    return api_client


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", last_name="Lee")


@pytest.fixture
def tee(database):
    return ProductFactory(database=database, sku="TEE-M", name="T-shirt M", price=Decimal("19.90"))


@pytest.fixture
def mug(database):
    return ProductFactory(database=database, sku="MUG", name="Mug", price=Decimal("8.50"))
