"""Enrolling and points: the balance is the sum of the transactions, never below zero; the
tier follows it up and down; each change records its history event; a refusal writes
nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from history.models import Event
from loyalty.models import Membership, Program, Tier, Transaction
from operations.loyalty import AlreadyEnrolled, NotEnrolled, add_points, enrol, membership_of
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.loyalty.factories import MembershipFactory, ProgramFactory, with_tiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(database):
    return with_tiers(
        ProgramFactory(database=database, name="Club"), Bronze=0, Silver=1000, Gold=5000
    )


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


@pytest.fixture
def member(program, profile):
    return enrol(program, profile, source="ui")


def test_it_enrols_a_profile_with_a_zero_balance_and_records_it(program, profile):
    membership = enrol(program, profile, source="api")
    assert membership.balance == 0 and membership.tier.name == "Bronze"
    event = Event.objects.get(profile=profile, type="loyalty_enrolled")
    assert event.data == {"program": "Club", "source": "api"}


def test_it_refuses_to_enrol_twice(member, program, profile):
    with pytest.raises(AlreadyEnrolled):
        enrol(program, profile, source="ui")
    assert Membership.objects.filter(profile=profile).count() == 1
    assert Event.objects.filter(profile=profile, type="loyalty_enrolled").count() == 1


def test_it_refuses_a_program_of_another_database(profile):
    elsewhere = ProgramFactory(database=ProfileDatabaseFactory(), name="Other club")
    with pytest.raises(ValidationError) as refusal:
        enrol(elsewhere, profile, source="ui")
    assert "program" in refusal.value.message_dict
    assert not Membership.objects.exists() and not Event.objects.filter(profile=profile).exists()


def test_it_refuses_an_inactive_program(database, profile):
    closed = ProgramFactory(database=database, active=False)
    with pytest.raises(ValidationError) as refusal:
        enrol(closed, profile, source="ui")
    assert "not active" in refusal.value.message_dict["program"][0]


def test_an_accrual_raises_the_balance_and_records_the_transaction(member, profile, bob):
    entry = add_points(member, 1200, "Order 42", source="ui", user=bob)
    member.refresh_from_db()
    assert member.balance == 1200 and member.tier.name == "Silver"
    assert (entry.points, entry.reason, entry.balance_after) == (1200, "Order 42", 1200)
    assert entry.created_by == bob and entry.source == "ui"
    event = Event.objects.get(profile=profile, type="loyalty_points")
    assert event.data == {
        "program": "Club",
        "points": 1200,
        "reason": "Order 42",
        "balance": 1200,
        "tier": "Silver",
        "source": "ui",
    }


def test_a_write_off_lowers_the_balance(member):
    add_points(member, 500, source="ui")
    entry = add_points(member, -200, "Redeemed a voucher", source="api")
    member.refresh_from_db()
    assert member.balance == 300 and entry.balance_after == 300


def test_the_tier_follows_the_balance_up_and_down(member):
    tiers = []
    for points, reason in [(999, ""), (1, ""), (4000, ""), (-1, "Expired"), (-4999, "Expired")]:
        add_points(member, points, reason, source="ui")
        member.refresh_from_db()
        tiers.append(member.tier.name)
    assert tiers == ["Bronze", "Silver", "Gold", "Silver", "Bronze"]


def test_no_tier_below_the_lowest_threshold(database, profile):
    program = with_tiers(ProgramFactory(database=database), Silver=100)
    membership = enrol(program, profile, source="ui")
    assert membership.tier is None
    assert program.next_tier_for(membership.balance).name == "Silver"


def test_a_write_off_beyond_the_balance_is_refused_and_writes_nothing(member, profile):
    add_points(member, 100, source="ui")
    with pytest.raises(ValidationError) as refusal:
        add_points(member, -101, "Too much", source="ui")
    assert "below zero" in refusal.value.message_dict["points"][0]
    member.refresh_from_db()
    assert member.balance == 100
    assert Transaction.objects.count() == 1
    assert Event.objects.filter(profile=profile, type="loyalty_points").count() == 1


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [
        (0, "", "points"),
        (-10, "", "reason"),
        (-10, "   ", "reason"),
        (True, "", "points"),
        ("10", "", "points"),
        (10**12, "", "points"),
        (10, "x" * 201, "reason"),
    ],
)
def test_it_refuses_bad_points_naming_the_field(member, points, reason, field):
    add_points(member, 50, source="ui")
    with pytest.raises(ValidationError) as refusal:
        add_points(member, points, reason, source="ui")
    assert field in refusal.value.message_dict
    member.refresh_from_db()
    assert member.balance == 50 and Transaction.objects.count() == 1


def test_the_database_refuses_a_negative_balance(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=member.pk).update(balance=-1)


def test_the_database_refuses_a_write_off_without_reason(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(membership=member, points=-1, balance_after=0)


def test_membership_of_says_when_the_profile_is_not_enrolled(program, profile):
    with pytest.raises(NotEnrolled):
        membership_of(program, profile)


def test_a_membership_of_another_database_is_invalid(program):
    membership = MembershipFactory.build(
        program=program, profile=ProfileFactory(database=ProfileDatabaseFactory())
    )
    with pytest.raises(ValidationError) as refusal:
        membership.full_clean()
    assert "program" in refusal.value.message_dict


def test_deleting_a_profile_removes_its_memberships_and_transactions(member, profile):
    add_points(member, 10, source="ui")
    profile.delete()
    assert not Membership.objects.exists() and not Transaction.objects.exists()


def test_a_database_emptied_of_profiles_deletes_with_its_programs(member, profile, database):
    add_points(member, 10, source="ui")
    profile.delete()  # a database with profiles is protected (profiles.Profile.database)
    database.delete()
    assert not Program.objects.exists() and not Tier.objects.exists()
