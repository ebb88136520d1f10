"""A profile's entries of the suppression list (its personal-data export) are read by
index, by its profile_id or its email, never by a scan of the whole list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations.exports import export_profile_data
from subscriptions.models import SuppressedAddress
from tests.factories import ProfileFactory
from tests.history.test_located_index import plan_of

pytestmark = pytest.mark.django_db


def test_the_export_reads_the_profile_s_suppressed_entries_by_index(alice):
    profile = ProfileFactory(email="ann@example.com")
    SuppressedAddress.objects.bulk_create(
        SuppressedAddress(address=f"other{n}@example.com", reason="hard_bounced", profile_id="")
        for n in range(200)
    )
    SuppressedAddress.objects.create(
        address="work@example.com", reason="complaint", profile_id=profile.profile_id
    )
    with CaptureQueriesContext(connection) as queries:
        data = export_profile_data(profile, alice)
    assert [entry["address"] for entry in data["suppression_list"]] == ["work@example.com"]
    [sql] = [q["sql"] for q in queries.captured_queries if "suppressedaddress" in q["sql"]]
    plan = plan_of(sql)
    if connection.vendor == "postgresql":
        assert "suppressed_profile" in plan and "Seq Scan" not in plan, plan
    else:
        assert "suppressed_profile" in plan, plan
