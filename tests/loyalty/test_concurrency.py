"""The balance never goes below zero when several write-offs come at the same moment."""

import pytest
from django.core.exceptions import ValidationError

from loyalty.models import Membership, Transaction
from operations.loyalty import AlreadyEnrolled, add_points, enrol
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.loyalty.factories import ProgramFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 8


def test_concurrent_write_offs_never_take_the_balance_below_zero():
    database = ProfileDatabaseFactory()
    membership = enrol(
        ProgramFactory(database=database), ProfileFactory(database=database), source="ui"
    )
    add_points(membership, 300, source="ui")  # room for 3 write-offs of 100, not 8

    errors = run_together(
        THREADS,
        lambda n: add_points(
            Membership.objects.get(pk=membership.pk), -100, f"Voucher {n}", source="api"
        ),
    )

    assert len(errors) == THREADS - 3
    assert all(isinstance(e, ValidationError) and "points" in e.message_dict for e in errors)
    membership.refresh_from_db()
    assert membership.balance == 0
    write_offs = Transaction.objects.filter(membership=membership, points__lt=0)
    assert write_offs.count() == 3
    assert sorted(write_offs.values_list("balance_after", flat=True)) == [0, 100, 200]


def test_concurrent_accruals_all_count():
    database = ProfileDatabaseFactory()
    membership = enrol(
        ProgramFactory(database=database), ProfileFactory(database=database), source="ui"
    )

    errors = run_together(
        THREADS, lambda n: add_points(Membership.objects.get(pk=membership.pk), 10, source="api")
    )

    assert errors == []
    membership.refresh_from_db()
    assert membership.balance == THREADS * 10
    assert Transaction.objects.filter(membership=membership).count() == THREADS


def test_concurrent_enrolments_enrol_once():
    database = ProfileDatabaseFactory()
    program = ProgramFactory(database=database)
    profile = ProfileFactory(database=database)

    errors = run_together(THREADS, lambda n: enrol(program, profile, source="api"))

    assert len(errors) == THREADS - 1 and all(isinstance(e, AlreadyEnrolled) for e in errors)
    assert Membership.objects.filter(program=program, profile=profile).count() == 1
    assert profile.events.filter(type="loyalty_enrolled").count() == 1
