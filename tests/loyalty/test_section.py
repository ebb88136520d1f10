"""The Loyalty programs section of the profile page: balance, tier, the next tier, the last
transactions and current promotions per program; enrol and add points in place."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from loyalty.models import Membership, Transaction
from operations.loyalty import add_points, enrol
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.loyalty.factories import ProgramFactory, PromotionFactory, with_tiers

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


@pytest.fixture
def marketer(bob):
    return grant(bob, "add_membership", "add_transaction")


@pytest.fixture
def program(database):
    return with_tiers(
        ProgramFactory(database=database, name="Club"), Bronze=0, Silver=1000, Gold=5000
    )


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", last_name="Lee")


@pytest.fixture
def member(program, profile):
    return enrol(program, profile, source="ui")


def section_url(profile):
    return reverse("profiles:loyalty", args=[profile.profile_id])


def enrol_url(profile):
    return reverse("loyalty:enrol", args=[profile.profile_id])


def add_url(profile):
    return reverse("loyalty:add-transaction", args=[profile.profile_id])


# -- Reading -----------------------------------------------------------------------------


def test_it_shows_balance_tier_next_tier_transactions_and_promotions(
    client, marketer, member, program
):
    add_points(member, 1200, "Order <42>", source="ui")
    add_points(member, -50, "Voucher", source="ui")
    now = timezone.now()
    PromotionFactory(program=program, name="Double points", description="On shoes")
    PromotionFactory(program=program, name="Gold week", minimum_tier=program.tiers.get(name="Gold"))
    PromotionFactory(program=program, name="Over", ends_at=now - timedelta(days=1))
    PromotionFactory(program=program, name="Later", starts_at=now + timedelta(days=1))
    client.force_login(marketer)
    response = client.get(section_url(member.profile), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "1,150 points" in html
    assert '<span class="badge loyalty-tier-badge">Silver</span>' in html
    assert "Gold: 3,850 points to go" in html
    assert "Order &lt;42&gt;" in html and "Order <42>" not in html  # escaped
    assert "Voucher" in html and "-50" in html and "+1,200" in html
    assert "Double points" in html and "On shoes" in html
    assert "Gold week" in html and "(not reached yet)" in html
    assert "Over" not in html and "Later" not in html
    assert 'name="points"' in html and "Add transaction" in html


def test_a_profile_not_enrolled_is_offered_the_programs_of_its_database(
    client, marketer, program, profile, database
):
    ProgramFactory(database=database, name="Closed", active=False)
    ProgramFactory(database=ProfileDatabaseFactory(), name="Elsewhere")
    client.force_login(marketer)
    html = client.get(section_url(profile), **HTMX).content.decode()
    assert "The profile is not enrolled in a loyalty program." in html
    assert f'<option value="{program.pk}">Club</option>' in html
    assert "Closed" not in html and "Elsewhere" not in html


def test_a_database_without_programs_says_so(client, marketer, profile):
    client.force_login(marketer)
    html = client.get(section_url(profile), **HTMX).content.decode()
    assert "The profile is not enrolled in a loyalty program." in html
    assert "Customers has no loyalty programs yet" in html
    assert 'name="program"' not in html


def test_the_whole_page_holds_the_section(client, marketer, member):
    client.force_login(marketer)
    html = client.get(section_url(member.profile)).content.decode()
    assert "<html" in html and 'id="part-loyalty"' in html and "Club" in html


def test_a_reader_sees_the_memberships_without_forms(client, member, database):
    reader = grant(UserFactory(username="reader"), "view_profile")
    database.members.add(reader)
    client.force_login(reader)
    html = client.get(section_url(member.profile), **HTMX).content.decode()
    assert "Club" in html and "0 points" in html
    assert 'name="points"' not in html and "Enrol" not in html


def test_it_shows_only_the_last_transactions(client, marketer, member):
    for n in range(8):
        add_points(member, 10, f"Visit {n}", source="ui")
    client.force_login(marketer)
    html = client.get(section_url(member.profile), **HTMX).content.decode()
    assert html.count("data-transaction=") == 5
    assert "Visit 7" in html and "Visit 2" not in html
    assert "The latest 5 transactions are shown" in html


def test_the_section_reads_a_fixed_number_of_queries(
    client, marketer, profile, database, django_assert_max_num_queries
):
    client.force_login(marketer)
    for n in range(6):
        program = with_tiers(ProgramFactory(database=database), Base=0, Top=100 + n)
        PromotionFactory(program=program, minimum_tier=program.tiers.get(name="Top"))
        membership = enrol(program, profile, source="ui")
        for _ in range(7):
            add_points(membership, 5, "x", source="ui")
    client.get(section_url(profile), **HTMX)  # warm caches (session, content types)
    with django_assert_max_num_queries(16):
        response = client.get(section_url(profile), **HTMX)
    assert response.content.decode().count('class="loyalty-membership"') == 6


# -- Enrolling ---------------------------------------------------------------------------


def test_it_enrols_in_place(client, marketer, program, profile):
    client.force_login(marketer)
    response = client.post(enrol_url(profile), {"program": program.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enrolled in “Club”." in html and 'role="status"' in html
    assert 'data-program="' in html and "The profile is not enrolled" not in html
    assert Membership.objects.filter(program=program, profile=profile).exists()
    assert Event.objects.filter(profile=profile, type="loyalty_enrolled").exists()


def test_a_plain_post_enrols_and_redirects_with_a_message(client, marketer, program, profile):
    client.force_login(marketer)
    response = client.post(enrol_url(profile), {"program": program.pk}, follow=True)
    assert response.redirect_chain[0][0] == section_url(profile)
    assert "Enrolled in “Club”." in response.content.decode()


def test_enrolling_twice_shows_the_error_beside_the_field(client, marketer, member, program):
    client.force_login(marketer)
    response = client.post(enrol_url(member.profile), {"program": program.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="field-error"' in html and "already enrolled in “Club”" in html
    assert Membership.objects.count() == 1


def test_a_program_of_another_database_is_refused(client, marketer, profile):
    elsewhere = ProgramFactory(database=ProfileDatabaseFactory())
    client.force_login(marketer)
    response = client.post(enrol_url(profile), {"program": elsewhere.pk}, **HTMX)
    assert "Choose a loyalty program of this profile&#x27;s database." in response.content.decode()
    assert not Membership.objects.exists()


def test_enrolling_needs_the_permission(client, bob, program, profile):
    client.force_login(bob)  # may view profiles, not enrol them
    assert client.post(enrol_url(profile), {"program": program.pk}).status_code == 403
    assert not Membership.objects.exists()


def test_an_outsider_gets_a_404(client, marketer, database):
    stranger = ProfileFactory(database=ProfileDatabaseFactory())
    program = ProgramFactory(database=stranger.database)
    client.force_login(marketer)
    assert client.post(enrol_url(stranger), {"program": program.pk}).status_code == 404
    assert client.post(add_url(stranger), {"program": program.pk, "points": 5}).status_code == 404


def test_the_actions_refuse_get(client, marketer, profile):
    client.force_login(marketer)
    assert client.get(enrol_url(profile)).status_code == 405
    assert client.get(add_url(profile)).status_code == 405


# -- Adding points -----------------------------------------------------------------------


def test_it_adds_points_in_place(client, marketer, member, program):
    client.force_login(marketer)
    body = {"program": program.pk, "points": "1500", "reason": "Order 7"}
    response = client.post(add_url(member.profile), body, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Added 1,500 points to “Club”: the balance is 1,500 points, tier Silver." in html
    assert '<span class="badge loyalty-tier-badge">Silver</span>' in html and "Order 7" in html
    member.refresh_from_db()
    assert member.balance == 1500
    entry = Transaction.objects.get()
    assert entry.created_by == marketer and entry.source == "ui"


def test_it_writes_off_points_in_place(client, marketer, member, program):
    add_points(member, 1200, source="ui")
    client.force_login(marketer)
    body = {"program": program.pk, "points": "-300", "reason": "Voucher"}
    html = client.post(add_url(member.profile), body, **HTMX).content.decode()
    assert "Wrote off 300 points from “Club”: the balance is 900 points, tier Bronze." in html


def test_a_write_off_beyond_the_balance_shows_the_error_beside_points(
    client, marketer, member, program
):
    add_points(member, 100, source="ui")
    client.force_login(marketer)
    body = {"program": program.pk, "points": "-500", "reason": "Too much"}
    html = client.post(add_url(member.profile), body, **HTMX).content.decode()
    assert f'id="id_loyalty{program.pk}_points-error"' in html
    assert "would take it below zero" in html
    assert 'value="-500"' in html and 'value="Too much"' in html  # the form keeps the input
    member.refresh_from_db()
    assert member.balance == 100 and Transaction.objects.count() == 1


def test_a_write_off_without_reason_shows_the_error_beside_reason(
    client, marketer, member, program
):
    add_points(member, 100, source="ui")
    client.force_login(marketer)
    body = {"program": program.pk, "points": "-5", "reason": ""}
    html = client.post(add_url(member.profile), body, **HTMX).content.decode()
    assert f'id="id_loyalty{program.pk}_reason-error"' in html
    assert "Give the reason for a write-off." in html
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize("points", ["0", "", "1.5", "abc"])
def test_bad_points_are_refused_beside_the_field(client, marketer, member, program, points):
    client.force_login(marketer)
    body = {"program": program.pk, "points": points}
    html = client.post(add_url(member.profile), body, **HTMX).content.decode()
    assert f'id="id_loyalty{program.pk}_points-error"' in html
    assert not Transaction.objects.exists()


def test_a_plain_post_refused_shows_the_page_with_the_error_beside_the_field(
    client, marketer, member, program
):
    client.force_login(marketer)
    body = {"program": program.pk, "points": "-5", "reason": "Oops"}
    response = client.post(add_url(member.profile), body)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert f'id="id_loyalty{program.pk}_points-error"' in html
    assert "The balance is 0 points" in html and 'value="Oops"' in html
    assert not Transaction.objects.exists()


def test_points_for_a_program_the_profile_is_not_in_are_refused(client, marketer, program, profile):
    client.force_login(marketer)
    html = client.post(add_url(profile), {"program": program.pk, "points": "5"}, **HTMX)
    assert "not enrolled in “Club”" in html.content.decode()
    assert not Transaction.objects.exists()


def test_adding_points_needs_the_permission(client, bob, member, program):
    client.force_login(bob)
    response = client.post(add_url(member.profile), {"program": program.pk, "points": "5"})
    assert response.status_code == 403 and not Transaction.objects.exists()
