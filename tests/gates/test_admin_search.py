"""The lists of rows pointing at profiles (memberships, orders, relations…) are searched by
a profile's profile_id or email through the profiles' own indexes: the profile is looked up
first, then the rows by their index of it, never by a condition on the joined profile
(which let PostgreSQL walk the rows' own key looking for it: 1 s at 20 M events)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interactions.models import Participation
from loyalty.models import Membership
from market.models import Order
from profiles.models import Profile
from relations.models import Relation
from segments.models import SegmentMembership

pytestmark = pytest.mark.gates

LISTS = [Participation, Membership, SegmentMembership, Relation, Order]


@pytest.mark.parametrize("key", ["profile_id", "email"])
@pytest.mark.parametrize("model", LISTS, ids=lambda model: model._meta.label)
def test_a_list_is_searched_by_a_profile_through_its_ids(client, world, db, model, key):
    client.force_login(world.users["alice"])
    profile = world.own[Profile]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": getattr(profile, key).upper()})
        transaction.set_rollback(True)

    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == [world.own[model].pk]  # not the other database's row
    table = f'FROM "{model._meta.db_table}"'
    rows = [q["sql"] for q in queries.captured_queries if table in q["sql"] and "LIMIT" in q["sql"]]
    assert rows and all('"profiles_profile"."email" =' not in sql for sql in rows)
    assert all('"profiles_profile"."profile_id" =' not in sql for sql in rows)


def test_an_order_is_found_by_its_number(client, world, db):
    client.force_login(world.users["alice"])
    order = world.own[Order]
    with transaction.atomic():
        response = client.get(reverse("admin:market_order_changelist"), {"q": order.number})
        transaction.set_rollback(True)

    assert [row.pk for row in response.context["cl"].result_list] == [order.pk]
