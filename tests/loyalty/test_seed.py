"""The demo data's loyalty program: tiers, promotions, members with points, all written
through the operations, so balances, transactions and history agree."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from history.models import Event
from loyalty.models import Membership, Program, Transaction

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_program_with_members_and_their_points():
    call_command("seed_demo", "--profiles", "120", stdout=io.StringIO())
    program = Program.objects.get(database__name="Online store")
    assert list(program.tiers.values_list("name", flat=True)) == ["Bronze", "Silver", "Gold"]
    assert program.promotions.current().count() == 2
    members = Membership.objects.filter(program=program)
    assert members.exists() and Transaction.objects.filter(points__lt=0).exists()
    for membership in members:
        total = membership.transactions.aggregate(total=Sum("points"))["total"] or 0
        assert membership.balance == total >= 0
    assert Event.objects.filter(type="loyalty_enrolled").count() == members.count()
    assert Event.objects.filter(type="loyalty_points").count() == Transaction.objects.count()
    # Run again: left alone.
    call_command("seed_demo", "--profiles", "120", stdout=io.StringIO())
    assert Program.objects.count() == 1
