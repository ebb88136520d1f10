"""Bulk actions of the profile list: on the selection or on the whole filter, after a
confirmation, only on the profiles of the user's databases, with the action's permission."""

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from history.models import Event
from jobs.models import Job
from profiles.models import Profile
from segments.models import SegmentMembership
from subscriptions.models import SuppressedAddress
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.interactions.factories import SegmentFactory

pytestmark = pytest.mark.django_db
URL = reverse("profiles:bulk")


@pytest.fixture
def rows(database):
    """Three profiles of bob's database (two suspended), one of a database he does not see."""
    return {
        "ada": ProfileFactory(database=database, email="ada@example.com", status="suspended"),
        "bob": ProfileFactory(database=database, email="bo@example.com", status="suspended"),
        "cy": ProfileFactory(database=database, email="cy@example.com", status="subscribed"),
        "foreign": ProfileFactory(email="foreign@example.com", status="suspended"),
    }


def statuses():
    return dict(Profile.objects.values_list("email", "status"))


def post(client, data, *, confirm=True, follow=True):
    data = {**data, **({"confirm": "yes"} if confirm else {})}
    return client.post(URL, data, follow=follow)


def test_it_asks_for_confirmation_saying_what_and_how_many(client, bob, rows):
    client.force_login(bob)
    before = statuses()
    selected = [rows["ada"].profile_id, rows["cy"].profile_id]
    response = post(
        client,
        {"action": "status", "new_status": "unsubscribed", "profile": selected},
        confirm=False,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Set the global status of 2 profiles to Unsubscribed?" in html
    assert "ada@example.com" in html and "cy@example.com" in html
    assert "bo@example.com" not in html
    assert 'name="confirm" value="yes"' in html
    assert statuses() == before  # nothing done yet


def test_it_sets_the_status_of_the_selection_only(client, bob, rows):
    client.force_login(bob)
    selected = [rows["ada"].profile_id, rows["cy"].profile_id]
    response = post(client, {"action": "status", "new_status": "unsubscribed", "profile": selected})
    assert "Set the global status of 2 profiles to Unsubscribed." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("profiles:list")
    assert statuses() == {
        "ada@example.com": "unsubscribed",
        "bo@example.com": "suspended",
        "cy@example.com": "unsubscribed",
        "foreign@example.com": "suspended",
    }
    audited = AuditEntry.objects.filter(object_type="profiles.Profile", action="update")
    assert sorted(entry.object_id for entry in audited) == sorted(selected)
    assert {entry.actor_name for entry in audited} == {"bob"}
    events = Event.objects.filter(type="status_changed").order_by("profile_id")
    assert [(e.profile_id, e.data["from"], e.data["to"]) for e in events] == [
        (rows["ada"].pk, "suspended", "unsubscribed"),
        (rows["cy"].pk, "subscribed", "unsubscribed"),
    ]


def test_a_profile_of_another_database_in_the_selection_is_not_touched(client, bob, rows):
    client.force_login(bob)
    selected = [rows["ada"].profile_id, rows["foreign"].profile_id]
    response = post(client, {"action": "status", "new_status": "invalid", "profile": selected})
    assert "Set the global status of 1 profile to Invalid." in response.content.decode()
    rows["foreign"].refresh_from_db()
    assert rows["foreign"].status == "suspended"
    assert statuses()["ada@example.com"] == "invalid"


def test_it_acts_on_every_profile_the_filter_matches(client, bob, rows):
    client.force_login(bob)
    data = {"action": "status", "new_status": "subscribed", "scope": "filter"}
    confirm = post(client, {**data, "status": "suspended"}, confirm=False).content.decode()
    assert "filters match: <strong>2</strong> profiles" in confirm
    response = post(client, {**data, "status": "suspended", "sort": "email"})
    assert "Set the global status of 2 profiles to Subscribed." in response.content.decode()
    assert (
        response.redirect_chain[-1][0] == reverse("profiles:list") + "?status=suspended&sort=email"
    )
    assert statuses() == {
        "ada@example.com": "subscribed",
        "bo@example.com": "subscribed",
        "cy@example.com": "subscribed",
        "foreign@example.com": "suspended",  # matches the filter, but not bob's
    }


def test_a_search_filter_is_applied_as_the_list_applies_it(client, bob, rows):
    client.force_login(bob)
    post(
        client,
        {"action": "status", "new_status": "invalid", "scope": "filter", "search": "bo@exa"},
    )
    assert statuses()["bo@example.com"] == "invalid"
    assert statuses()["ada@example.com"] == "suspended"


def test_every_filter_of_the_list_narrows_the_whole_filter_scope(client, bob, rows):
    client.force_login(bob)
    data = {"action": "status", "new_status": "invalid", "scope": "filter"}
    post(client, {**data, "email": "cy@example.com"})
    post(client, {**data, "md5": rows["ada"].md5})
    assert statuses() == {
        "ada@example.com": "invalid",
        "bo@example.com": "suspended",
        "cy@example.com": "invalid",
        "foreign@example.com": "suspended",
    }


def test_hard_bounced_puts_the_addresses_on_the_suppression_list(client, bob, rows):
    client.force_login(bob)
    post(
        client,
        {"action": "status", "new_status": "hard_bounced", "profile": [rows["ada"].profile_id]},
    )
    assert list(SuppressedAddress.objects.values_list("address", flat=True)) == ["ada@example.com"]


def test_it_adds_the_selection_to_a_segment_of_its_database(client, bob, database, rows):
    segment = SegmentFactory(database=database, name="VIP")
    SegmentMembership.objects.create(segment=segment, profile=rows["bob"])
    client.force_login(bob)
    data = {
        "action": "segment",
        "segment": segment.pk,
        "profile": [rows["ada"].profile_id, rows["bob"].profile_id, rows["cy"].profile_id],
    }
    confirm = post(client, data, confirm=False).content.decode()
    assert "Add 3 profiles to the segment “VIP”?" in confirm
    response = post(client, data)
    assert "Added 2 profiles to the segment “VIP”." in response.content.decode()
    members = set(segment.memberships.values_list("profile__email", flat=True))
    assert members == {"ada@example.com", "bo@example.com", "cy@example.com"}
    entered = Event.objects.filter(type="segment_entered")
    assert sorted(e.profile_id for e in entered) == sorted([rows["ada"].pk, rows["cy"].pk])
    assert entered.first().data == {"segment": segment.pk, "name": "VIP"}


def test_profiles_of_another_database_than_the_segments_are_left_out(client, alice, rows):
    other = ProfileDatabaseFactory(name="Partners")
    segment = SegmentFactory(database=other, name="Partners VIP")
    client.force_login(alice)
    data = {
        "action": "segment",
        "segment": segment.pk,
        "profile": [rows["ada"].profile_id, rows["foreign"].profile_id],
    }
    rows["foreign"].database = other
    rows["foreign"].save()
    confirm = post(client, data, confirm=False).content.decode()
    database = rows["ada"].database.name
    assert "<strong>1</strong> is of Partners, the segment\u2019s database." in confirm
    assert f"1 other profile is of {database}, and left out." in confirm
    assert "foreign@example.com" in confirm and "ada@example.com" not in confirm
    post(client, data)
    assert list(segment.memberships.values_list("profile__email", flat=True)) == [
        "foreign@example.com"
    ]


def test_it_refuses_a_segment_of_a_database_the_user_does_not_see(client, bob, rows):
    hidden = SegmentFactory(database=rows["foreign"].database)
    client.force_login(bob)
    response = post(
        client, {"action": "segment", "segment": hidden.pk, "profile": [rows["ada"].profile_id]}
    )
    assert "Choose a segment of one of your databases." in response.content.decode()
    assert not SegmentMembership.objects.exists()


def test_delete_needs_the_delete_permission(client, bob, rows):
    client.force_login(bob)
    response = post(client, {"action": "delete", "profile": [rows["ada"].profile_id]})
    assert response.status_code == 403
    assert Profile.objects.count() == 4


def test_it_deletes_the_selection_with_the_permission(client, bob, rows):
    grant(bob, "delete_profile")
    client.force_login(bob)
    data = {"action": "delete", "profile": [rows["ada"].profile_id, rows["foreign"].profile_id]}
    confirm = post(client, data, confirm=False).content.decode()
    assert "Delete 1 profile?" in confirm and "cannot be undone" in confirm
    response = post(client, data)
    assert "Deleted 1 profile." in response.content.decode()
    assert sorted(Profile.objects.values_list("email", flat=True)) == [
        "bo@example.com",
        "cy@example.com",
        "foreign@example.com",
    ]


def test_it_exports_the_selection_through_the_export_job(client, bob, rows):
    client.force_login(bob)
    response = post(
        client,
        {
            "action": "export",
            "format": "csv",
            "profile": [rows["ada"].profile_id, rows["cy"].profile_id],
        },
        follow=False,
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    exported = sorted(row["email"] for row in csv.DictReader(io.StringIO(text)))
    assert exported == ["ada@example.com", "cy@example.com"]
    assert Job.objects.get().kind == "export"


def test_a_large_action_goes_to_the_worker_and_its_page(client, bob, rows, settings):
    settings.EXPORT_INLINE_ROWS = 1
    client.force_login(bob)
    response = post(
        client,
        {"action": "status", "new_status": "invalid", "scope": "filter", "status": "suspended"},
        follow=False,
    )
    job = Job.objects.get(kind="bulk_profiles")
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()  # the tests' task backend runs it at once
    assert job.status == "succeeded" and job.result == {"action": "status", "changed": 2}
    assert statuses()["ada@example.com"] == "invalid"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Action on profiles" in page.content.decode()


def test_it_says_so_when_nothing_is_selected(client, bob, rows):
    client.force_login(bob)
    response = post(client, {"action": "status", "new_status": "invalid"})
    assert "Select profiles first" in response.content.decode()
    assert statuses()["ada@example.com"] == "suspended"


def test_it_refuses_an_unknown_status(client, bob, rows):
    client.force_login(bob)
    response = post(
        client, {"action": "status", "new_status": "gone", "profile": [rows["ada"].profile_id]}
    )
    assert "Choose one of:" in response.content.decode()
    assert statuses()["ada@example.com"] == "suspended"


def test_it_refuses_a_user_without_the_change_permission(client, charlie, rows):
    grant(charlie, "view_profile")
    client.force_login(charlie)
    data = {"action": "status", "new_status": "invalid", "profile": [rows["ada"].profile_id]}
    assert post(client, data).status_code == 403


def test_it_refuses_a_user_who_may_see_no_profile(client, charlie):
    client.force_login(charlie)
    assert post(client, {"action": "status"}).status_code == 403


def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.post(URL, {"action": "status"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_get(client, bob):
    client.force_login(bob)
    assert client.get(URL).status_code == 405


def test_the_list_offers_the_actions_the_user_may_take(client, bob, database, rows):
    SegmentFactory(database=database, name="VIP")
    SegmentFactory(database=rows["foreign"].database, name="Hidden segment")
    client.force_login(bob)
    html = client.get(reverse("profiles:list")).content.decode()
    assert 'action="/profiles/bulk/"' in html
    assert '<option value="segment">Add to a segment</option>' in html
    assert '<option value="delete">' not in html  # bob may not delete
    assert "VIP (Customers)" in html and "Hidden segment" not in html
    assert html.count('name="profile" value=') == 3
