"""No changelist tells a staff member about a database they are not a member of: not its
rows (test_authorization), and not the names in its filters either.

dana is staff with every permission, a member of "Customers" only; every object of the
other database ("Partners") is named after it (the database, its segments, scenarios,
programs, pools, pixels, forms, relation types).
"""

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse

pytestmark = pytest.mark.gates

CHANGELISTS = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin.site._registry
)


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_changelist_and_its_filters_name_no_other_database(client, world, db, name):
    client.force_login(world.users["dana"])
    with transaction.atomic():
        response = client.get(reverse(name))
        transaction.set_rollback(True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Partners" not in page
    assert response.context["cl"].result_count >= 0
