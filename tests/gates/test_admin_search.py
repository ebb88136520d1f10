"""The lists of rows pointing at profiles (memberships, orders, relations…) are searched by
a profile's profile_id or email through the profiles' own indexes: the profile is looked up
first, then the rows by their index of it, never by a condition on the joined profile
(which let PostgreSQL walk the rows' own key looking for it: 1 s at 20 M events)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from interactions.models import Participation
from loyalty.models import Membership
from market.models import Order
from pixels.models import AnonymousHit
from profiles.models import Profile
from relations.models import Relation
from segments.models import SegmentMembership
from subscriptions.models import Subscription
from webforms.models import Submission

pytestmark = pytest.mark.gates

LISTS = [Participation, Membership, SegmentMembership, Relation, Order, Submission]


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


def test_the_audit_log_is_searched_by_whole_values_through_indexes(client, world, db):
    alice = world.users["alice"]
    profile, subscription = world.own[Profile], world.own[Subscription]
    url = reverse("admin:audit_auditentry_changelist")
    client.force_login(alice)
    with transaction.atomic():
        by_alice = AuditEntry.objects.create(
            actor=alice,
            actor_name="alice",
            channel="admin",
            action="update",
            object_type="profiles.Profile",
            object_id="0" * 24,
        )
        found = {}
        with CaptureQueriesContext(connection) as queries:
            for text in (profile.profile_id, subscription.public_id, "ALICE", profile.email[:5]):
                response = client.get(url, {"q": text})
                found[text] = {row.pk for row in response.context["cl"].result_list}
        transaction.set_rollback(True)

    assert found[profile.profile_id] == set(
        AuditEntry.objects.filter(profile_id=profile.profile_id).values_list("pk", flat=True)
    )
    assert found[subscription.public_id] and all(
        AuditEntry.objects.get(pk=pk).object_id == subscription.public_id
        for pk in found[subscription.public_id]
    )
    assert found["ALICE"] == {by_alice.pk}
    assert found[profile.email[:5]] == set()  # a part of a value matches nothing
    on_the_log = [q["sql"] for q in queries.captured_queries if "audit_auditentry" in q["sql"]]
    assert on_the_log and not [sql for sql in on_the_log if "LIKE" in sql.upper()]


def test_the_entries_of_a_user_removed_since_are_found_by_the_name_they_kept(client, world, db):
    url = reverse("admin:audit_auditentry_changelist")
    client.force_login(world.users["alice"])
    with transaction.atomic():
        gone = world.users["bob"]
        entry = AuditEntry.objects.create(
            actor=gone,
            actor_name=gone.username,
            channel="admin",
            action="update",
            object_type="profiles.Profile",
            object_id="0" * 24,
        )
        gone.delete()  # the entry keeps the name, its actor is set to null
        found = {
            text: {row.pk for row in client.get(url, {"q": text}).context["cl"].result_list}
            for text in (gone.username, gone.username.upper())
        }
        named = set(
            AuditEntry.objects.filter(actor_name=gone.username).values_list("pk", flat=True)
        )
        transaction.set_rollback(True)

    assert entry.pk in found[gone.username] and found[gone.username] <= named
    assert entry.pk not in found[gone.username.upper()]  # the name as written


@pytest.mark.parametrize("model", [AnonymousHit, Submission], ids=lambda m: m._meta.label)
def test_a_visitors_rows_are_found_by_their_anonymous_id_exactly(client, world, db, model):
    client.force_login(world.users["alice"])
    row = world.own[model]
    model._default_manager.filter(pk=row.pk).update(anonymous_id="Visitor-7f3a")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        exact = client.get(url, {"q": "Visitor-7f3a"}).context["cl"].result_list
        other_case = client.get(url, {"q": "visitor-7f3a"}).context["cl"].result_list
        transaction.set_rollback(True)

    assert [r.pk for r in exact] == [row.pk]
    assert list(other_case) == []  # exactly, as the help text says
    table = f'FROM "{model._meta.db_table}"'
    assert not [q for q in queries.captured_queries if table in q["sql"] and "UPPER(" in q["sql"]]
