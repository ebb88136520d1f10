"""Imports at once on PostgreSQL: one profile per matched value, never a false error, the
documented maximum four at a time, and a clear 429 past the slots for large batches."""

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from core.locks import MAX_KEY_LOCKS, take_slot
from operations.imports import MAX_IMPORT_ROWS
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
URL = "/api/v1/profiles/import/"


@pytest.fixture
def marketer():
    database = ProfileDatabaseFactory(name="Customers")
    CustomFieldFactory(database=database, name="crm_id", type="line")
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(user)
    return user, database


def post(user, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(URL, body, format="json")


def row(match, n, thread):
    keyed = {
        "email": {"email": f"person{n}@example.com"},
        "phone": {"phones": [f"+1415555{n:04d}"]},
        "field:crm_id": {"fields": {"crm_id": f"C-{n}"}},
    }[match]
    return {**keyed, "first_name": f"From thread {thread}"}


@pytest.mark.parametrize("match", ["email", "phone", "field:crm_id"])
@pytest.mark.parametrize(
    "count", [50, MAX_KEY_LOCKS + 36], ids=["values locked one by one", "their kind locked whole"]
)
def test_parallel_imports_of_the_same_values_create_one_profile_each(marketer, match, count):
    user, database = marketer
    statuses = []

    def work(thread):
        rows = [row(match, n, thread) for n in range(count)]
        response = post(user, {"database": database.pk, "match": match, "profiles": rows})
        assert response.status_code == 200, response.content[:300]
        statuses.extend(result["status"] for result in response.json()["results"])

    assert run_together(16, work) == []
    assert Profile.objects.filter(database=database).count() == count
    assert sorted(set(statuses)) == ["created", "updated"]
    assert statuses.count("created") == count and statuses.count("updated") == 15 * count


def test_four_parallel_imports_of_the_documented_maximum_all_succeed(marketer):
    user, database = marketer
    answers = []

    def work(thread):
        rows = [{"email": f"t{thread}-{n}@example.com"} for n in range(MAX_IMPORT_ROWS)]
        response = post(user, {"database": database.pk, "match": "email", "profiles": rows})
        answers.append((response.status_code, {r["status"] for r in response.json()["results"]}))

    assert run_together(4, work) == []
    assert answers == [(200, {"created"})] * 4
    assert Profile.objects.filter(database=database).count() == 4 * MAX_IMPORT_ROWS


def test_a_large_batch_past_the_slots_is_a_429_to_retry(marketer, settings):
    settings.BATCH_CONCURRENCY = 2
    user, database = marketer
    held, done = threading.Barrier(3), threading.Event()

    def hold(_):
        with transaction.atomic():
            assert take_slot("api-batch", 2)
            held.wait()
            done.wait(timeout=30)
        connection.close()

    holders = [threading.Thread(target=hold, args=(n,)) for n in range(2)]
    for holder in holders:
        holder.start()
    held.wait()
    try:
        rows = [{"email": f"p{n}@example.com"} for n in range(101)]
        response = post(user, {"database": database.pk, "match": "email", "profiles": rows})
        small = post(user, {"database": database.pk, "match": "email", "profiles": rows[:100]})
    finally:
        done.set()
        for holder in holders:
            holder.join()
    assert response.status_code == 429
    assert "2 large batches are running" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert small.status_code == 200  # a small batch needs no slot
    assert Profile.objects.filter(email="p100@example.com").count() == 0
