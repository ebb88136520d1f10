import pytest
from django.db import IntegrityError

from operations.profiles import create_profile
from profiles.models import Profile
from tests.factories import ProfileDatabaseFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def test_it_gives_every_profile_distinct_unguessable_identifiers():
    first, second = ProfileFactory.create_batch(2)
    assert first.profile_id != second.profile_id
    assert len(first.profile_id) == 24
    assert int(second.profile_id, 16) - int(first.profile_id, 16) != 1
    assert len(first.md5) == 32 and len(first.xxh) == 16
    assert Profile.objects.get(md5=first.md5) == first
    assert Profile.objects.get(xxh=first.xxh) == first


def test_it_falls_back_to_profile_id_at_localhost_without_an_email():
    profile = ProfileFactory(email="")
    profile.refresh_from_db()
    assert profile.email == f"{profile.profile_id}@localhost"


def test_it_allows_one_email_in_two_databases_but_not_twice_in_one():
    first = ProfileFactory(email="ann@example.com")
    ProfileFactory(email="ann@example.com", database=ProfileDatabaseFactory())
    with pytest.raises(IntegrityError):
        ProfileFactory(email="ANN@example.com", database=first.database)


def test_it_indexes_phones_for_lookup():
    database = ProfileDatabaseFactory()
    profile = create_profile(database, {"phones": ["+1 202 555 0179"]}, source="api")
    assert profile.phones == ["+12025550179"]
    assert list(Profile.objects.search("+12025550179")) == [profile]
