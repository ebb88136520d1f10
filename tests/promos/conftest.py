import pytest

from tests.conftest import grant
from tests.factories import ProfileFactory, UserFactory
from tests.promos.factories import PromoPoolFactory

PROMO_PERMISSIONS = [
    "view_profile",
    "view_promopool",
    "view_promocode",
    "attach_promocode",
]


@pytest.fixture
def erin(db, database):
    """A marketer who may read promo codes and attach, detach and activate them."""
    erin = grant(UserFactory(username="erin"), *PROMO_PERMISSIONS)
    database.members.add(erin)
    return erin


@pytest.fixture
def reader(db, database):
    """May see profiles and their promo codes, not change them."""
    reader = grant(UserFactory(username="reader"), "view_profile", "view_promocode")
    database.members.add(reader)
    return reader


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", last_name="Lee")


@pytest.fixture
def pool(database):
    pool = PromoPoolFactory(database=database, name="Welcome 10%")
    pool.load_codes(["WELCOME1", "WELCOME2"])
    return pool
