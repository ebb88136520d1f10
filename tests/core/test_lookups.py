"""``any_of``: the rows whose field holds one of many values, as ``__in`` finds them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.lookups import any_of
from history.models import Event
from profiles.models import Profile
from tests.factories import EventFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_rows_in_finds_by_text_by_key_and_by_relation():
    profiles = ProfileFactory.create_batch(4)
    wanted = [profiles[0].profile_id, profiles[2].profile_id, "not-a-profile"]
    found = Profile.objects.filter(any_of("profile_id", wanted))
    assert set(found) == {profiles[0], profiles[2]}
    assert set(Profile.objects.filter(any_of("pk", {profiles[1].pk}))) == {profiles[1]}
    events = [EventFactory(profile=profile) for profile in profiles]
    by_owner = Event.objects.filter(any_of("profile_id", [profiles[3].pk, profiles[1].pk]))
    assert set(by_owner) == {events[1], events[3]}
    assert set(Event.objects.filter(any_of("profile", [profiles[3].pk]))) == {events[3]}


def test_no_value_matches_nothing_and_excludes_nothing():
    ProfileFactory.create_batch(2)
    assert not Profile.objects.filter(any_of("profile_id", [])).exists()
    assert Profile.objects.exclude(any_of("pk", [])).count() == 2


def test_a_thousand_values_are_one_parameter_on_postgresql():
    profiles = ProfileFactory.create_batch(3)
    wanted = [profile.email for profile in profiles] + [f"x{n}@example.com" for n in range(997)]
    with CaptureQueriesContext(connection) as queries:
        assert set(Profile.objects.filter(any_of("email", wanted))) == set(profiles)
    [query] = queries.captured_queries
    if connection.vendor == "postgresql":
        assert '"email" = ANY(' in query["sql"]
    else:
        assert '"email" IN (' in query["sql"]
