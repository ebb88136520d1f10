"""The admin of pixels (goals inline) and of anonymous hits: scoped to the staff member's
databases; hits are a record, read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import ProfileDatabaseFactory, UserFactory
from tests.pixels.factories import AnonymousHitFactory, GoalFactory, PixelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    page = Client()
    page.force_login(dana)
    return page


@pytest.mark.parametrize("model", ["pixel", "anonymoushit"])
def test_every_list_shows_only_the_staff_members_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "shown"), (hidden, "secret")):
        pixel = PixelFactory(database=db, name=f"{name} pixel")
        GoalFactory(pixel=pixel, name=f"{name} goal")
        AnonymousHitFactory(pixel=pixel, anonymous_id=f"{name}-visitor", goal=f"{name} goal")
    html = dana.get(reverse(f"admin:pixels_{model}_changelist")).content.decode()
    assert "shown" in html and "secret" not in html


def test_a_pixel_of_another_database_is_not_found(dana):
    hidden = PixelFactory(database=ProfileDatabaseFactory())
    response = dana.get(reverse("admin:pixels_pixel_change", args=[hidden.pk]))
    assert response.status_code == 302  # to the admin's index: it does not exist for her


def test_anonymous_hits_are_read_only(dana, database):
    hit = AnonymousHitFactory(pixel=PixelFactory(database=database))
    assert dana.get(reverse("admin:pixels_anonymoushit_add")).status_code == 403
    assert dana.get(reverse("admin:pixels_anonymoushit_delete", args=[hit.pk])).status_code == 403


def test_a_pixel_is_added_with_its_goals(dana, database):
    response = dana.post(
        reverse("admin:pixels_pixel_add"),
        {
            "name": "Site",
            "database": database.pk,
            "goals-TOTAL_FORMS": "1",
            "goals-INITIAL_FORMS": "0",
            "goals-0-name": "purchase",
            "goals-0-value": "9.99",
        },
    )
    assert response.status_code == 302
    assert list(database.pixels.get().goals.values_list("name", flat=True)) == ["purchase"]


@pytest.mark.parametrize("address", ["javascript:alert(1)", '"><script>alert(1)</script>'])
def test_a_hit_s_address_is_shown_as_escaped_text(dana, database, address):
    hit = AnonymousHitFactory(pixel=PixelFactory(database=database), url=address, referrer=address)
    for page in ("changelist", "change"):
        args = [hit.pk] if page == "change" else []
        html = dana.get(reverse(f"admin:pixels_anonymoushit_{page}", args=args)).content.decode()
        assert "<script>alert(1)" not in html and 'href="javascript' not in html
        assert "alert(1)" in html
