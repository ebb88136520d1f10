"""The admin of promo code pools and codes: scoped to the staff member's databases, pools
with their counts and a box to load codes, codes searched and filtered, never changed."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from promos.models import PromoPool
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.promos.factories import PromoPoolFactory, attached_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


@pytest.mark.parametrize("model", ["promopool", "promocode"])
def test_every_list_shows_only_the_staff_member_s_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "Shown"), (hidden, "Hidden")):
        pool = PromoPoolFactory(database=db, name=f"{name} pool")
        pool.load_codes([f"{name.upper()}-CODE"])
    html = dana.get(reverse(f"admin:promos_{model}_changelist")).content.decode()
    assert "Shown" in html or "SHOWN-CODE" in html
    assert "Hidden" not in html and "HIDDEN-CODE" not in html


def test_a_hidden_pool_s_page_is_not_shown(dana):
    hidden = PromoPoolFactory(database=ProfileDatabaseFactory(name="Partners"))
    response = dana.get(reverse("admin:promos_promopool_change", args=[hidden.pk]))
    assert response.status_code == 302  # to the admin index: it does not exist for her


def test_the_pool_list_counts_codes_by_status(dana, database, pool):
    attached_code(ProfileFactory(database=database), pool)
    html = dana.get(reverse("admin:promos_promopool_changelist")).content.decode()
    assert "state=free" in html and ">2</a>" in html and ">1</a>" in html


def test_a_pool_is_created_with_its_codes_loaded(dana, database):
    response = dana.post(
        reverse("admin:promos_promopool_add"),
        {"name": "Spring", "database": database.pk, "load_codes": "S1\nS2\n\nS1\n"},
        follow=True,
    )
    assert response.status_code == 200
    pool = PromoPool.objects.get(name="Spring")
    assert sorted(pool.codes.values_list("code", flat=True)) == ["S1", "S2"]
    assert "2 codes added, 1 duplicates skipped." in response.content.decode()


def test_a_bad_line_refuses_the_load_beside_the_box(dana, database, pool):
    response = dana.post(
        reverse("admin:promos_promopool_change", args=[pool.pk]),
        {"name": pool.name, "load_codes": "GOOD\nTWO WORDS"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Line 2 (TWO WORDS)" in errors["load_codes"][0]
    assert pool.codes.count() == 2


def test_a_pool_with_codes_handed_out_is_not_deleted(dana, database, pool):
    attached_code(ProfileFactory(database=database), pool)
    url = reverse("admin:promos_promopool_delete", args=[pool.pk])
    html = dana.get(url).content.decode()
    assert "1 codes are attached to profiles or activated" in html
    dana.post(url, {"post": "yes"})
    assert PromoPool.objects.filter(pk=pool.pk).exists()


def test_codes_are_searched_and_filtered_by_status_and_pool(dana, database, pool):
    expired = PromoPoolFactory(
        database=database, name="Old", valid_until=timezone.now() - timedelta(days=1)
    )
    expired.load_codes(["OLD1"])
    attached_code(ProfileFactory(database=database), pool, code="TAKEN")
    url = reverse("admin:promos_promocode_changelist")
    html = dana.get(url, {"q": "WELCOME"}).content.decode()
    assert "WELCOME1" in html and "TAKEN" not in html
    if connection.vendor == "postgresql":  # SQLite's LIKE ignores the case of ASCII letters
        response = dana.get(url, {"q": "welcome"})  # the start, case included
        assert list(response.context["cl"].result_list) == []
    html = dana.get(url, {"state": "expired"}).content.decode()
    assert "OLD1" in html and "WELCOME1" not in html
    html = dana.get(url, {"state": "attached"}).content.decode()
    assert "TAKEN" in html and "WELCOME1" not in html
    html = dana.get(url, {"pool__id__exact": pool.pk}).content.decode()
    assert "WELCOME1" in html and "OLD1" not in html


def test_codes_are_not_added_or_changed_by_hand(dana, pool):
    code = pool.codes.first()
    assert dana.get(reverse("admin:promos_promocode_add")).status_code == 403
    page = dana.get(reverse("admin:promos_promocode_change", args=[code.pk])).content.decode()
    assert 'name="status"' not in page and "WELCOME1" in page
