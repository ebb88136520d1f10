"""The admin of loyalty programs (tiers and promotions inline) and memberships (balance
and transactions read-only), scoped to the staff member's databases."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from history.models import Event
from loyalty.models import Membership, Program
from operations.loyalty import add_points, enrol
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.loyalty.factories import ProgramFactory, PromotionFactory, with_tiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


def inline_management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("model", ["program", "membership"])
def test_every_list_shows_only_the_staff_members_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "Shown"), (hidden, "Hidden")):
        program = ProgramFactory(database=db, name=f"{name} club")
        enrol(
            program, ProfileFactory(database=db, email=f"{name.lower()}@example.com"), source="ui"
        )
    response = dana.get(reverse(f"admin:loyalty_{model}_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shown club" in html and "Hidden club" not in html


def test_the_change_page_of_another_databases_program_is_not_shown(dana):
    hidden = ProgramFactory(database=ProfileDatabaseFactory())
    response = dana.get(reverse("admin:loyalty_program_change", args=[hidden.pk]))
    assert response.status_code == 302  # to the admin's index: it does not exist for her


def test_it_adds_a_program_with_its_tiers(dana, database):
    body = {"name": "Club", "database": database.pk, "description": "", "active": "on"}
    body |= inline_management("tiers", 2)
    body |= {"tiers-0-name": "Bronze", "tiers-0-threshold": "0"}
    body |= {"tiers-1-name": "Silver", "tiers-1-threshold": "1000"}
    response = dana.post(reverse("admin:loyalty_program_add"), body)
    assert response.status_code == 302, response.content.decode()[:3000]
    program = Program.objects.get(name="Club")
    assert sorted(program.tiers.values_list("threshold", flat=True)) == [0, 1000]


def test_the_change_page_shows_tiers_and_promotions(dana, database):
    program = with_tiers(ProgramFactory(database=database, name="Club"), Gold=5000)
    PromotionFactory(program=program, name="Gold week", minimum_tier=program.tiers.get())
    html = dana.get(reverse("admin:loyalty_program_change", args=[program.pk])).content.decode()
    assert "Gold week" in html and 'value="5000"' in html


def test_a_membership_shows_its_balance_and_transactions_read_only(dana, database):
    program = with_tiers(ProgramFactory(database=database, name="Club"), Silver=100)
    membership = enrol(program, ProfileFactory(database=database), source="ui")
    add_points(membership, 150, "Order 9", source="ui")
    url = reverse("admin:loyalty_membership_change", args=[membership.pk])
    html = dana.get(url).content.decode()
    assert "Order 9" in html and "150" in html and "Silver" in html
    assert 'name="balance"' not in html and 'name="transactions-0-points"' not in html


def test_enrolling_in_the_admin_goes_through_the_operation(dana, database):
    program = ProgramFactory(database=database, name="Club")
    profile = ProfileFactory(database=database)
    body = {"program": program.pk, "profile": profile.pk} | inline_management("transactions")
    response = dana.post(reverse("admin:loyalty_membership_add"), body)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(program=program, profile=profile).exists()
    event = Event.objects.get(profile=profile, type="loyalty_enrolled")
    assert event.data["source"] == "admin"


def test_enrolling_a_profile_of_another_database_is_refused(admin_client, database):
    program = ProgramFactory(database=database, name="Club")
    stranger = ProfileFactory(database=ProfileDatabaseFactory())
    body = {"program": program.pk, "profile": stranger.pk} | inline_management("transactions")
    response = admin_client.post(reverse("admin:loyalty_membership_add"), body)
    assert response.status_code == 200 and "belongs to database" in response.content.decode()
    assert not Membership.objects.exists()


def test_a_membership_page_shows_the_last_transactions_only(dana, database):
    membership = enrol(
        ProgramFactory(database=database), ProfileFactory(database=database), source="ui"
    )
    for n in range(55):
        add_points(membership, 1, f"Visit {n}", source="ui")
    url = reverse("admin:loyalty_membership_change", args=[membership.pk])
    html = dana.get(url).content.decode()
    assert "Visit 54" in html and "Visit 5<" in html and "Visit 4<" not in html


def test_a_tier_a_promotion_names_is_not_deleted_in_the_admin(dana, database):
    program = with_tiers(ProgramFactory(database=database, name="Club"), Gold=5000)
    gold = program.tiers.get()
    promotion = PromotionFactory(program=program, name="Gold week", minimum_tier=gold)
    body = {"name": "Club", "description": "", "active": "on"}
    body |= inline_management("tiers", 1) | {"tiers-INITIAL_FORMS": "1"}
    body |= {"tiers-0-id": gold.pk, "tiers-0-program": program.pk, "tiers-0-name": "Gold"}
    body |= {"tiers-0-threshold": "5000", "tiers-0-DELETE": "on"}
    body |= inline_management("promotions", 1) | {"promotions-INITIAL_FORMS": "1"}
    body |= {"promotions-0-id": promotion.pk, "promotions-0-program": program.pk}
    body |= {"promotions-0-name": "Gold week", "promotions-0-minimum_tier": gold.pk}
    response = dana.post(reverse("admin:loyalty_program_change", args=[program.pk]), body)
    assert response.status_code == 200  # the form again, with the error
    assert "would require deleting" in response.content.decode()
    assert program.tiers.filter(pk=gold.pk).exists()
