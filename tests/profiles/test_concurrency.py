"""Writes that hold when requests come at once: nothing acknowledged is lost, no status an
event set is undone by an unrelated edit, a double submit is an error beside the field."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from profiles.models import Profile
from tests.concurrency import needs_postgres, run_together
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.subscriptions.factories import (
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
STANDARD = ["first_name", "middle_name", "last_name", "city", "region", "reg_city", "utm_source"]


@pytest.fixture
def marketer():
    database = ProfileDatabaseFactory(name="Customers")
    user = grant(UserFactory(username="bob"), *MARKETER_PERMISSIONS)
    database.members.add(user)
    return user, database


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_parallel_partial_updates_of_different_fields_lose_nothing(marketer):
    user, database = marketer
    custom = [f"c{n}" for n in range(9)]
    for name in custom:
        CustomFieldFactory(database=database, name=name, type="line")
    profile = ProfileFactory(database=database)
    url = f"/api/v1/profiles/{profile.profile_id}/"
    changes = [{name: f"v-{name}"} for name in STANDARD] + [
        {"fields": {name: f"v-{name}"}} for name in custom
    ]
    answers = []

    errors = run_together(
        len(changes),
        lambda n: answers.append(api(user).patch(url, changes[n], format="json").status_code),
    )

    assert errors == [] and answers == [200] * len(changes)
    profile.refresh_from_db()
    assert {name: getattr(profile, name) for name in STANDARD} == {
        name: f"v-{name}" for name in STANDARD
    }
    assert profile.custom_values == {name: f"v-{name}" for name in custom}
    entries = {key for entry in profile_audit(profile) for key in entry}
    assert entries >= set(STANDARD) | {f"fields.{name}" for name in custom}


def profile_audit(profile):
    return [
        entry.changes
        for entry in AuditEntry.objects.filter(profile_id=profile.profile_id, action="update")
    ]


@pytest.mark.parametrize("round_", range(4))
def test_a_hard_bounce_racing_edits_stays(marketer, round_):
    user, database = marketer
    profile = ProfileFactory(database=database)
    url = f"/api/v1/profiles/{profile.profile_id}/"
    bounce = {"profile_id": profile.profile_id, "type": "hard_bounce"}

    def work(n):
        client = api(user)
        if n == 0:
            assert client.post("/api/v1/events/", bounce, format="json").status_code == 201
        else:
            response = client.patch(url, {"first_name": f"Name {n}"}, format="json")
            assert response.status_code == 200

    assert run_together(4, work) == []
    profile.refresh_from_db()
    assert profile.status == "hard_bounced"
    assert profile.first_name.startswith("Name ")


def test_parallel_changes_of_a_subscriptions_custom_values_lose_nothing(marketer):
    user, database = marketer
    resource = ResourceFactory(name="Website")
    names = [f"f{n}" for n in range(8)]
    for name in names:
        SubscriptionFieldFactory(resource=resource, name=name, type="line")
    subscription = SubscriptionFactory(profile=ProfileFactory(database=database), resource=resource)
    url = f"/api/v1/subscriptions/{subscription.public_id}/"

    errors = run_together(
        len(names),
        lambda n: api(user).patch(url, {"fields": {names[n]: "x"}}, format="json"),
    )

    assert errors == []
    subscription.refresh_from_db()
    assert subscription.custom_values == dict.fromkeys(names, "x")


def test_a_double_submit_of_a_new_profile_is_an_error_beside_the_email(marketer):
    user, database = marketer
    answers = []

    def work(n):
        client = Client()
        client.force_login(user)
        data = {"database": database.pk, "email": "twice@example.com", "status": "subscribed"}
        response = client.post("/profiles/new/", data)
        errors = response.context["form"].errors if response.status_code == 200 else {}
        answers.append((response.status_code, "email" in errors))

    assert run_together(2, work) == []
    assert sorted(answers) == [(200, True), (302, False)]
    assert Profile.objects.filter(email="twice@example.com").count() == 1
