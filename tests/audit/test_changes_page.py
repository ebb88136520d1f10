import re
from datetime import UTC

import pytest

from audit.context import acting
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def url(profile):
    return f"/profiles/{profile.profile_id}/changes/"


def test_it_shows_who_changed_which_field_from_what_to_what(client, bob, database):
    profile = ProfileFactory(database=database, first_name="Ann")
    with acting(bob, "api"):
        profile.first_name = "Anna"
        profile.save()
    client.force_login(bob)
    response = client.get(url(profile))
    assert response.status_code == 200
    content = response.content.decode()
    assert "first_name" in content and "Ann" in content and "Anna" in content
    assert "bob" in content and "API" in content


def test_it_hides_profiles_of_databases_the_user_may_not_see(client, bob):
    outsider = ProfileFactory(database=ProfileDatabaseFactory())
    client.force_login(bob)
    assert client.get(url(outsider)).status_code == 404


def test_it_refuses_users_without_profile_access(client, charlie, database):
    client.force_login(charlie)
    assert client.get(url(ProfileFactory(database=database))).status_code in (403, 404)


def test_it_needs_a_login(client, database):
    response = client.get(url(ProfileFactory(database=database)))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_its_query_count_does_not_grow_with_the_number_of_changes(
    client, bob, database, django_assert_max_num_queries
):
    profile = ProfileFactory(database=database)
    for n in range(30):
        profile.first_name = f"Name {n}"
        profile.save()
    for _ in range(10):  # each of its own resource: names are read per model, not per row
        SubscriptionFactory(profile=profile)
    client.force_login(bob)
    with django_assert_max_num_queries(15):
        response = client.get(url(profile))
    assert response.status_code == 200
    assert response.content.count(b"Created subscription") == 10


def test_the_profile_page_links_to_its_changes(client, bob, database):
    profile = ProfileFactory(database=database)
    client.force_login(bob)
    response = client.get(profile.get_absolute_url())
    assert url(profile).encode() in response.content


def test_it_names_fields_ids_and_choices_as_a_marketer_reads_them(client, bob, database):
    CustomFieldFactory(database=database, name="tariff", label="Tariff plan")
    CustomFieldFactory(database=database, name="last_order", label="Last order", type="date")
    profile = ProfileFactory(database=database, status="subscribed", custom_values={"tariff": "a"})
    with acting(bob, "page"):
        subscription = SubscriptionFactory(profile=profile, contact="ann@example.com")
        profile.status = "hard_bounced"
        profile.custom_values = {"tariff": "b", "last_order": "2026-11-19T11:14:59.100Z"}
        profile.save()
        subscription.priority = 7
        subscription.save()
    client.force_login(bob)

    content = client.get(url(profile)).content.decode()

    rows = re.findall(r"<tr>.*?</tr>", content, re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]

    def shown(row):  # the last three cells: field, old value, new value
        return any(line.endswith(row) for line in text)

    assert shown("Status Subscribed Hard bounced")
    assert shown("Tariff plan a b")
    assert shown("Last order — 2026-11-19 11:14:59")  # a custom date as the page's moments
    assert shown(f"Resource — {subscription.resource.name}")
    assert shown(f"Channel — {subscription.channel.name}")
    assert shown("Priority 0 7")
    moment = subscription.reg_date.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert shown(f"Registration date — {moment}")  # to the second, in UTC like the page
    assert any(f"Updated subscription {subscription} Priority" in row for row in text)
    assert "resource_id" not in " ".join(text) and "profiles.Profile" not in content
