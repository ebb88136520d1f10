from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import ProfileFactory, UserFactory


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ann@example.com")


@pytest.fixture
def olga(db):
    """A marketer with every marketer permission, but not a member of bob's database."""
    return grant(UserFactory(username="olga"), *MARKETER_PERMISSIONS)


@pytest.fixture
def viewer(db, database):
    """A user who may view the database's profiles but not export them."""
    user = grant(UserFactory(username="vera"), "view_profile")
    database.members.add(user)
    return user


@pytest.fixture
def ago():
    """Return a moment some time before now: ago(days=8), ago(minutes=5)."""
    now = timezone.now()

    def moment(**delta):
        return now - timedelta(**delta)

    return moment
