import pytest

from tests.factories import ProfileFactory
from tests.subscriptions.factories import CategoryFactory, ResourceFactory, channel


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ann@example.com")


@pytest.fixture
def resource(db):
    return ResourceFactory(name="Website")


@pytest.fixture
def news(resource):
    return CategoryFactory(resource=resource, name="News")


@pytest.fixture
def offers(resource):
    return CategoryFactory(resource=resource, name="Offers")


@pytest.fixture
def email(db):
    return channel("email")


@pytest.fixture
def sms(db):
    return channel("sms")
