"""The admin's lists of big tables never count the whole table (issue 15): up to 1,000 rows
a count that stops there, beyond it the planner's estimate, said "about"."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin import EstimatedCountPaginator
from tests.factories import ProfileFactory
from tests.history.factories import EventFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
BIG_TABLES = [
    "profiles.profile",
    "subscriptions.subscription",
    "history.event",
    "audit.auditentry",
    "segments.segmentmembership",
    "relations.relation",
    "webforms.submission",
    "pixels.anonymoushit",
    "market.order",
    "loyalty.membership",
    "promos.promocode",
    "interactions.participation",
    "jobs.job",
]


def changelist(label):
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def test_every_big_table_is_listed_with_the_estimating_paginator():
    by_label = {
        model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()
    }

    for label in BIG_TABLES:
        assert by_label[label].paginator is EstimatedCountPaginator, label
        assert by_label[label].show_full_result_count is False, label


@pytest.mark.parametrize("label", BIG_TABLES)
def test_a_list_counts_no_further_than_the_first_thousand(client, alice, database, label):
    profile = ProfileFactory(database=database)
    SubscriptionFactory(profile=profile)
    EventFactory(profile=profile)
    client.force_login(alice)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist(label))

    assert response.status_code == 200
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    unbounded = [sql for sql in counts if "LIMIT" not in sql.upper()]
    assert unbounded == [], f"a count over the whole table: {unbounded}"


def test_a_small_list_says_its_exact_count(client, alice, database):
    ProfileFactory.create_batch(3, database=database)
    client.force_login(alice)

    page = client.get(changelist("profiles.profile")).content.decode()

    assert "3 profiles" in page
    assert "about" not in page.split('class="paginator"')[1]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's"
)
def test_past_the_exact_limit_the_list_says_about(client, alice, database, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 2)
    ProfileFactory.create_batch(5, database=database)
    client.force_login(alice)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(changelist("profiles.profile")).content.decode()

    assert "about " in page.split('class="paginator"')[1]
    assert not [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and "LIMIT" not in q["sql"].upper()
    ]
