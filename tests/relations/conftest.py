import pytest

from tests.conftest import grant
from tests.factories import ProfileFactory
from tests.relations.factories import RelationTypeFactory

RELATION_PERMISSIONS = [
    "view_relationtype",
    "view_relation",
    "add_relation",
    "delete_relation",
]


@pytest.fixture
def bob(bob):
    """The marketer, who may also read, add and remove relations."""
    return grant(bob, *RELATION_PERMISSIONS)


@pytest.fixture
def ann(database):
    return ProfileFactory(
        database=database, first_name="Ann", last_name="Lee", email="ann@example.com"
    )


@pytest.fixture
def ben(database):
    return ProfileFactory(
        database=database, first_name="Ben", last_name="Ray", email="ben@example.com"
    )


@pytest.fixture
def liked(database):
    return RelationTypeFactory(database=database, name="liked")
