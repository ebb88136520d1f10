"""A code is never attached to two profiles, also when many requests attach at once."""

import pytest

from history.models import Event
from operations import promos
from promos.models import PromoCode
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.promos.factories import PromoPoolFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 8
CODES = 3


def test_concurrent_attaches_hand_each_code_out_once():
    database = ProfileDatabaseFactory()
    pool = PromoPoolFactory(database=database, name="Few")
    pool.load_codes([f"FEW{n}" for n in range(CODES)])
    profiles = [ProfileFactory(database=database) for _ in range(THREADS)]

    errors = run_together(THREADS, lambda n: promos.attach(pool, profiles[n], source="api"))

    assert len(errors) == THREADS - CODES
    assert all(isinstance(error, promos.NoFreeCode) for error in errors)
    attached = PromoCode.objects.filter(pool=pool, status="attached")
    assert attached.count() == CODES
    assert len({code.profile_id for code in attached}) == CODES  # three different profiles
    events = Event.objects.filter(type="promo_attached")
    assert sorted(events.values_list("data__code", flat=True)) == [f"FEW{n}" for n in range(CODES)]
    assert {(e.profile_id, e.data["code"]) for e in events} == {
        (code.profile_id, code.code) for code in attached
    }


def test_one_profile_attaching_many_times_at_once_takes_distinct_codes():
    database = ProfileDatabaseFactory()
    pool = PromoPoolFactory(database=database, name="Many")
    pool.load_codes([f"MANY{n}" for n in range(THREADS)])
    profile = ProfileFactory(database=database)

    errors = run_together(THREADS, lambda n: promos.attach(pool, profile, source="api"))

    assert errors == []
    assert PromoCode.objects.filter(profile=profile).count() == THREADS
    assert not PromoCode.objects.filter(pool=pool, status="free").exists()
