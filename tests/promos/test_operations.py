"""Attaching, detaching and activating record their history events with the change."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from history.models import Event
from operations import promos
from promos.models import PromoCode
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.promos.factories import PromoPoolFactory

pytestmark = pytest.mark.django_db


def test_it_attaches_a_free_code_and_records_it(profile, pool):
    code = promos.attach(pool, profile, source="ui")
    assert code.profile == profile and code.status == "attached" and code.attached_at
    assert code.code == "WELCOME1"
    event = Event.objects.get(profile=profile, type="promo_attached")
    assert event.data == {"code": "WELCOME1", "program": "Welcome 10%", "source": "ui"}


def test_each_attach_takes_another_code_until_none_is_free(database, profile, pool):
    other = ProfileFactory(database=database)
    first = promos.attach(pool, profile, source="ui")
    second = promos.attach(pool, other, source="ui")
    assert first.code != second.code
    with pytest.raises(promos.NoFreeCode, match="no free code"):
        promos.attach(pool, profile, source="ui")
    assert Event.objects.filter(type="promo_attached").count() == 2


def test_a_pool_of_another_database_is_refused(profile):
    elsewhere = PromoPoolFactory(database=ProfileDatabaseFactory(name="Partners"))
    elsewhere.load_codes(["X1"])
    with pytest.raises(ValidationError) as caught:
        promos.attach(elsewhere, profile, source="ui")
    assert "Partners" in caught.value.message_dict["pool"][0]
    assert not PromoCode.objects.filter(profile=profile).exists()
    assert not Event.objects.filter(type="promo_attached").exists()


def test_an_expired_pool_gives_no_code(database, profile):
    pool = PromoPoolFactory(database=database, valid_until=timezone.now() - timedelta(hours=1))
    pool.load_codes(["OLD"])
    with pytest.raises(ValidationError) as caught:
        promos.attach(pool, profile, source="ui")
    assert "expired" in caught.value.message_dict["pool"][0]
    assert pool.codes.get().status == "free"


def test_it_activates_an_attached_code_once(profile, pool):
    code = promos.attach(pool, profile, source="ui")
    code = promos.activate(code, source="api")
    assert code.status == "activated" and code.activated_at
    assert Event.objects.get(type="promo_activated").data["code"] == code.code
    with pytest.raises(promos.CodeConflict, match="activated already"):
        promos.activate(code, source="api")
    assert Event.objects.filter(type="promo_activated").count() == 1


def test_an_expired_code_cannot_be_activated(profile, pool):
    code = promos.attach(pool, profile, source="ui")
    pool.valid_until = timezone.now() - timedelta(minutes=1)
    pool.save()
    with pytest.raises(promos.CodeConflict, match="expired"):
        promos.activate(code, source="ui")
    code.refresh_from_db()
    assert code.status == "attached"
    assert not Event.objects.filter(type="promo_activated").exists()


def test_detaching_frees_the_code_and_records_it(profile, pool):
    code = promos.attach(pool, profile, source="ui")
    promos.detach(code, source="ui")
    code.refresh_from_db()
    assert code.status == "free" and code.profile is None and code.attached_at is None
    assert Event.objects.get(type="promo_detached").data == {
        "code": code.code,
        "program": "Welcome 10%",
        "source": "ui",
    }
    assert promos.attach(pool, profile, source="ui").code == code.code  # handed out again


def test_an_activated_code_stays_with_its_profile(profile, pool):
    code = promos.activate(promos.attach(pool, profile, source="ui"), source="ui")
    with pytest.raises(promos.CodeConflict, match="stays with the profile"):
        promos.detach(code, source="ui")
    code.refresh_from_db()
    assert code.profile == profile and code.status == "activated"
    assert not Event.objects.filter(type="promo_detached").exists()


def test_free_pools_offers_open_pools_with_free_codes_counted(database, pool):
    PromoPoolFactory(database=database, name="Empty")
    expired = PromoPoolFactory(database=database, valid_until=timezone.now() - timedelta(days=1))
    expired.load_codes(["E1"])
    offered = list(promos.free_pools(database))
    assert [(p.name, p.free_total) for p in offered] == [("Welcome 10%", 2)]
