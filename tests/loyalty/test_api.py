"""The loyalty API of the contract: loyalty-programs/ (tiers written with the program),
profiles/{id}/loyalty/ (memberships; POST enrols) and
profiles/{id}/loyalty/{program_id}/transactions/ (POST adds or writes off points)."""

import pytest

from history.models import Event
from loyalty.models import Membership, Program, Tier, Transaction
from operations.loyalty import add_points, enrol
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.loyalty.factories import ProgramFactory, PromotionFactory, with_tiers

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/loyalty-programs/"
LOYALTY_PERMISSIONS = [
    "view_program",
    "add_program",
    "change_program",
    "delete_program",
    "add_membership",
    "add_transaction",
]


def loyalty_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/loyalty/"


def transactions_url(profile, program):
    return f"/api/v1/profiles/{profile.profile_id}/loyalty/{program.pk}/transactions/"


@pytest.fixture
def marketer(bob):
    return grant(bob, *LOYALTY_PERMISSIONS)


@pytest.fixture
def api(api_client, marketer):
    api_client.force_authenticate(marketer)
    return api_client


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


# -- Programs ----------------------------------------------------------------------------


def test_it_creates_a_program_with_its_tiers(api, database):
    body = {
        "name": "Club",
        "database": database.pk,
        "tiers": [{"name": "Silver", "threshold": 1000}, {"name": "Bronze", "threshold": 0}],
    }
    response = api.post(PROGRAMS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["tiers"] == [
        {"name": "Bronze", "threshold": 0},
        {"name": "Silver", "threshold": 1000},
    ]
    assert data["database"] == database.pk and data["active"] is True
    program = Program.objects.get(pk=data["id"])
    assert sorted(program.tiers.values_list("name", "threshold")) == [
        ("Bronze", 0),
        ("Silver", 1000),
    ]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"name": "A", "threshold": 0}, {"name": "A", "threshold": 10}], "names"),
        ([{"name": "A", "threshold": 5}, {"name": "B", "threshold": 5}], "thresholds"),
        ([{"name": "A", "threshold": -1}], "from 0"),
        ([{"name": "A", "threshold": "10"}], "whole number"),
        ([{"name": "A", "threshold": 1.5}], "whole number"),
        ([{"name": "", "threshold": 1}], ""),
    ],
)
def test_it_refuses_bad_tiers_and_writes_nothing(api, database, tiers, message):
    response = api.post(
        PROGRAMS, {"name": "Club", "database": database.pk, "tiers": tiers}, format="json"
    )
    assert response.status_code == 400
    assert "tiers" in response.json() and message in str(response.json()["tiers"])
    assert not Program.objects.exists() and not Tier.objects.exists()


def test_it_refuses_a_second_program_of_the_same_name(api, program, database):
    response = api.post(PROGRAMS, {"name": "Club", "database": database.pk}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_it_replaces_the_tiers_by_name(api, program):
    silver = program.tiers.get(name="Silver")
    body = {
        "tiers": [
            {"name": "Silver", "threshold": 5000},
            {"name": "Gold", "threshold": 1000},
            {"name": "Platinum", "threshold": 20000},
        ]
    }
    response = api.patch(f"{PROGRAMS}{program.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert [t["name"] for t in response.json()["tiers"]] == ["Gold", "Silver", "Platinum"]
    assert program.tiers.get(name="Silver").pk == silver.pk  # kept, with its new threshold
    assert not program.tiers.filter(name="Bronze").exists()


def test_it_refuses_to_drop_a_tier_a_promotion_names(api, program):
    PromotionFactory(program=program, name="Gold week", minimum_tier=program.tiers.get(name="Gold"))
    body = {"tiers": [{"name": "Bronze", "threshold": 0}]}
    response = api.patch(f"{PROGRAMS}{program.pk}/", body, format="json")
    assert response.status_code == 400 and "Gold week" in response.json()["tiers"][0]
    assert program.tiers.count() == 3


def test_it_lists_programs_with_promotions_of_visible_databases_only(api, program):
    PromotionFactory(program=program, name="Double points")
    ProgramFactory(database=ProfileDatabaseFactory(), name="Hidden")
    data = api.get(PROGRAMS).json()
    assert [p["name"] for p in data["results"]] == ["Club"]
    assert data["results"][0]["promotions"][0]["name"] == "Double points"


def test_a_program_of_another_database_is_not_found(api):
    hidden = ProgramFactory(database=ProfileDatabaseFactory())
    assert api.get(f"{PROGRAMS}{hidden.pk}/").status_code == 404
    assert api.delete(f"{PROGRAMS}{hidden.pk}/").status_code == 404


def test_it_cannot_move_a_program_to_another_database(api, program, marketer):
    other = ProfileDatabaseFactory()
    other.members.add(marketer)
    response = api.patch(f"{PROGRAMS}{program.pk}/", {"database": other.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()


def test_a_program_with_members_is_not_deleted(api, member, program):
    response = api.delete(f"{PROGRAMS}{program.pk}/")
    assert response.status_code == 409
    assert Program.objects.filter(pk=program.pk).exists()


# -- Memberships -------------------------------------------------------------------------


def test_it_enrols_a_profile(api, program, profile):
    response = api.post(loyalty_url(profile), {"program": program.pk}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["program"] == program.pk and data["balance"] == 0 and data["tier"] == "Bronze"
    assert data["transactions"] == []
    assert data["next_tier"] == {"name": "Silver", "threshold": 1000, "points_missing": 1000}
    assert Event.objects.filter(profile=profile, type="loyalty_enrolled").exists()


def test_enrolling_twice_is_a_conflict(api, member, program, profile):
    response = api.post(loyalty_url(profile), {"program": program.pk}, format="json")
    assert response.status_code == 409 and "already enrolled" in response.json()["detail"]
    assert Membership.objects.count() == 1


def test_a_program_of_another_database_is_refused_naming_program(api, profile, marketer):
    other = ProfileDatabaseFactory()
    other.members.add(marketer)  # visible to him, but not the profile's database
    elsewhere = ProgramFactory(database=other)
    response = api.post(loyalty_url(profile), {"program": elsewhere.pk}, format="json")
    assert response.status_code == 400 and "program" in response.json()
    hidden = ProgramFactory(database=ProfileDatabaseFactory())
    response = api.post(loyalty_url(profile), {"program": hidden.pk}, format="json")
    assert response.status_code == 400 and "program" in response.json()
    assert not Membership.objects.exists()


@pytest.mark.parametrize("body", [{}, {"program": True}, {"program": "x"}, {"program": 1, "x": 1}])
def test_a_bad_enrolment_body_is_refused(api, program, profile, body):
    response = api.post(loyalty_url(profile), body, format="json")
    assert response.status_code == 400
    assert not Membership.objects.exists()


def test_it_lists_the_memberships_with_their_last_transactions(api, member, profile, database):
    other = enrol(ProgramFactory(database=database, name="Partners"), profile, source="ui")
    for n in range(12):
        add_points(member, 100, f"Order {n}", source="ui")
    add_points(other, 7, source="ui")
    response = api.get(loyalty_url(profile))
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {"results", "next"}
    by_program = {row["program_name"]: row for row in data["results"]}
    club = by_program["Club"]
    assert club["balance"] == 1200 and club["tier"] == "Silver"
    assert len(club["transactions"]) == 10
    assert club["transactions"][0]["reason"] == "Order 11"
    assert by_program["Partners"]["balance"] == 7 and by_program["Partners"]["tier"] is None


def test_the_list_reads_a_fixed_number_of_queries(
    api, profile, database, django_assert_max_num_queries
):
    for n in range(5):
        program = with_tiers(ProgramFactory(database=database), Base=0, Top=100 + n)
        membership = enrol(program, profile, source="ui")
        for _ in range(3):
            add_points(membership, 50, source="ui")
    with django_assert_max_num_queries(12):
        response = api.get(loyalty_url(profile))
    assert len(response.json()["results"]) == 5


def test_the_profile_of_another_database_is_not_found(api):
    stranger = ProfileFactory(database=ProfileDatabaseFactory())
    assert api.get(loyalty_url(stranger)).status_code == 404


def test_reading_needs_only_the_profile_and_writing_the_permission(api_client, program, profile):
    reader = grant(UserFactory(username="reader"), "view_profile")
    profile.database.members.add(reader)
    api_client.force_authenticate(reader)
    assert api_client.get(loyalty_url(profile)).status_code == 200
    response = api_client.post(loyalty_url(profile), {"program": program.pk}, format="json")
    assert response.status_code == 403
    assert not Membership.objects.exists()


# -- Transactions ------------------------------------------------------------------------


def test_an_accrual_answers_the_balance_and_tier(api, member, program, profile):
    response = api.post(
        transactions_url(profile, program), {"points": 1500, "reason": "Order 1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["balance"] == 1500 and data["tier"] == "Silver" and data["points"] == 1500
    member.refresh_from_db()
    assert member.balance == 1500


def test_a_write_off_answers_the_lower_balance_and_tier(api, member, program, profile):
    add_points(member, 6000, source="ui")
    response = api.post(
        transactions_url(profile, program), {"points": -5500, "reason": "Gift"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["balance"] == 500 and response.json()["tier"] == "Bronze"


def test_a_write_off_beyond_the_balance_is_a_400_naming_points(api, member, program, profile):
    add_points(member, 100, source="ui")
    response = api.post(
        transactions_url(profile, program), {"points": -101, "reason": "Too much"}, format="json"
    )
    assert response.status_code == 400 and "below zero" in response.json()["points"][0]
    member.refresh_from_db()
    assert member.balance == 100 and Transaction.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": -5}, "reason"),
        ({"points": -5, "reason": ""}, "reason"),
        ({"points": "5"}, "points"),
        ({"points": 5.0}, "points"),
        ({"points": True}, "points"),
        ({"points": 10**10}, "points"),
        ({}, "points"),
        ({"points": 5, "reason": 3}, "reason"),
        ({"points": 5, "balance": 1000}, "balance"),
    ],
)
def test_a_bad_transaction_is_a_400_naming_the_field(api, member, program, profile, body, field):
    response = api.post(transactions_url(profile, program), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Transaction.objects.exists()
    member.refresh_from_db()
    assert member.balance == 0


def test_a_transaction_for_a_profile_not_enrolled_is_a_404_saying_so(api, program, profile):
    response = api.post(transactions_url(profile, program), {"points": 5}, format="json")
    assert response.status_code == 404 and "not enrolled" in response.json()["detail"]


def test_it_lists_every_transaction_of_the_membership(api, member, program, profile):
    for n in range(3):
        add_points(member, n + 1, source="ui")
    data = api.get(transactions_url(profile, program)).json()
    assert [t["points"] for t in data["results"]] == [3, 2, 1] and "next" in data


def test_adding_points_needs_the_permission(api_client, member, program, profile, database):
    reader = grant(UserFactory(username="reader"), "view_profile", "add_membership")
    database.members.add(reader)
    api_client.force_authenticate(reader)
    response = api_client.post(transactions_url(profile, program), {"points": 5}, format="json")
    assert response.status_code == 403 and not Transaction.objects.exists()


def test_it_filters_programs_by_active_and_refuses_a_bad_flag(api, program, database):
    ProgramFactory(database=database, name="Closed", active=False)
    assert [p["name"] for p in api.get(PROGRAMS, {"active": "false"}).json()["results"]] == [
        "Closed"
    ]
    response = api.get(PROGRAMS, {"active": "maybe"})
    assert response.status_code == 400 and "active" in response.json()


def test_a_program_without_members_is_deleted_with_its_tiers_and_promotions(api, program):
    PromotionFactory(program=program, minimum_tier=program.tiers.get(name="Gold"))
    assert api.delete(f"{PROGRAMS}{program.pk}/").status_code == 204
    assert not Program.objects.exists() and not Tier.objects.exists()
