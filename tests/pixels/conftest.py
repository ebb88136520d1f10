import pytest

from tests.conftest import grant
from tests.factories import ProfileFactory
from tests.pixels.factories import GoalFactory, PixelFactory

PIXEL_PERMISSIONS = ["view_pixel", "add_pixel", "change_pixel", "delete_pixel", "record_hit"]


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ann@example.com", first_name="Ann")


@pytest.fixture
def pixel(database):
    pixel = PixelFactory(database=database, name="Shop site")
    GoalFactory(pixel=pixel, name="purchase", value="25.00")
    GoalFactory(pixel=pixel, name="view")
    return pixel


@pytest.fixture
def marketer(bob):
    """bob with the pixels' permissions (read, write, record hits)."""
    return grant(bob, *PIXEL_PERMISSIONS)


@pytest.fixture
def client(api_client, marketer):
    api_client.force_authenticate(marketer)
    return api_client
