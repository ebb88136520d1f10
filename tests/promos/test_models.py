"""Pools load codes in bulk (duplicates counted, bad codes named); expiry is computed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from promos.models import CODE_MAX_LENGTH, MAX_CODES_PER_LOAD, PromoCode
from tests.promos.factories import PromoPoolFactory, attached_code

pytestmark = pytest.mark.django_db


def test_it_loads_codes_and_counts_the_duplicates(database):
    pool = PromoPoolFactory(database=database)
    assert pool.load_codes(["A1", "B2", "A1"]) == (2, 1)
    assert pool.load_codes(["B2", "C3", "C3", "C3"]) == (1, 3)
    assert sorted(pool.codes.values_list("code", flat=True)) == ["A1", "B2", "C3"]
    assert set(pool.codes.values_list("status", flat=True)) == {"free"}


def test_the_same_code_may_be_in_two_pools(database):
    first, second = PromoPoolFactory(database=database), PromoPoolFactory(database=database)
    assert first.load_codes(["SAME"]) == (1, 0)
    assert second.load_codes(["SAME"]) == (1, 0)


def test_codes_are_compared_exactly(database):
    pool = PromoPoolFactory(database=database)
    assert pool.load_codes(["save10", "SAVE10"]) == (2, 0)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "must not be empty"),
        ("WITH SPACE", "whitespace"),
        (" LEADING", "whitespace"),
        ("X" * (CODE_MAX_LENGTH + 1), f"at most {CODE_MAX_LENGTH} characters"),
        ("a\x00b", "NUL"),
        (42, "as text"),
    ],
)
def test_a_bad_code_is_named_by_its_index_and_nothing_is_loaded(database, code, message):
    pool = PromoPoolFactory(database=database)
    with pytest.raises(ValidationError) as caught:
        pool.load_codes(["GOOD", code])
    assert message in caught.value.message_dict["codes.1"][0]
    assert not pool.codes.exists()


def test_a_load_is_bounded(database):
    pool = PromoPoolFactory(database=database)
    with pytest.raises(ValidationError) as caught:
        pool.load_codes([f"C{n}" for n in range(MAX_CODES_PER_LOAD + 1)])
    assert f"at most {MAX_CODES_PER_LOAD:,}" in caught.value.message_dict["codes"][0]
    with pytest.raises(ValidationError):
        pool.load_codes([])
    assert not pool.codes.exists()


def test_codes_of_a_pool_past_its_valid_until_are_expired_unless_activated(database, profile):
    pool = PromoPoolFactory(database=database, valid_until=timezone.now() - timedelta(days=1))
    pool.load_codes(["FREE"])
    attached = attached_code(profile, pool)
    used = attached_code(profile, pool, activated_at=timezone.now())
    used.status = PromoCode.Status.ACTIVATED
    used.save()
    assert pool.codes.get(code="FREE").state == "expired"
    assert attached.state == "expired"
    assert used.state == "activated"
    assert set(PromoCode.objects.in_state("expired")) == {attached, pool.codes.get(code="FREE")}
    assert list(PromoCode.objects.in_state("activated")) == [used]
    assert not PromoCode.objects.in_state("attached").exists()
    pool.valid_until = timezone.now() + timedelta(days=1)  # extended: back in use
    pool.save()
    attached.refresh_from_db()
    assert attached.state == "attached"
    assert list(PromoCode.objects.in_state("attached")) == [attached]


def test_a_deleted_profile_s_codes_are_kept_out_of_circulation(database, profile, pool):
    code = attached_code(profile, pool)
    profile.delete()
    code.refresh_from_db()
    assert code.profile is None and code.status == "attached"
    assert pool.codes.filter(status="free").count() == 2
