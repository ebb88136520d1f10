"""The admin of resources, channels, categories and subscriptions: the same rules as the API."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from profiles.models import Profile
from subscriptions.models import Channel, Subscription, SuppressedAddress
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
    channel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    "model", ["channel", "resource", "category", "subscriptionfield", "subscription"]
)
def test_every_model_has_a_searchable_filterable_list(admin_client, model, profile, resource):
    SubscriptionFactory(profile=profile, resource=resource, contact="find.me@example.com")

    url = reverse(f"admin:subscriptions_{model}_changelist")
    response = admin_client.get(url, {"q": "find"})

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.list_filter
    assert changelist.search_fields


def test_the_subscription_list_finds_by_contact_and_shows_deleted_ones(
    admin_client, profile, resource
):
    SubscriptionFactory(profile=profile, resource=resource, contact="live@example.com")
    SubscriptionFactory(
        profile=profile, resource=resource, contact="gone@example.com", deleted_at=timezone.now()
    )
    url = reverse("admin:subscriptions_subscription_changelist")

    everything = admin_client.get(url).content.decode()
    deleted = admin_client.get(url, {"deleted": "yes"}).content.decode()
    found = admin_client.get(url, {"q": "live@"}).content.decode()

    assert "live@example.com" in everything and "gone@example.com" in everything
    assert "gone@example.com" in deleted and "live@example.com" not in deleted
    assert "live@example.com" in found and "gone@example.com" not in found


def admin_add_data(profile, resource, **changes):
    return {
        "profile": profile.pk,
        "resource": resource.pk,
        "channel": channel("email").pk,
        "contact": "Ann@Example.com",
        "status": "subscribed",
        "priority": "",
        "custom_values": "{}",
        "reg_date_0": "",
        "reg_date_1": "",
    } | changes


def test_adding_in_the_admin_applies_the_rules_and_records_history(admin_client, profile):
    resource = ResourceFactory(name="App", increase_priority_for_new=True)
    older = SubscriptionFactory(profile=profile, resource=resource, priority=0)

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"), admin_add_data(profile, resource)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    new = Subscription.objects.get(contact="ann@example.com")
    assert new.priority == 0
    older.refresh_from_db()
    assert older.priority == 1
    assert Event.objects.filter(profile=profile, type="subscribed").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact": "nope"}, "contact"),
        ({"custom_values": '{"unknown": 1}'}, "custom_values"),
        ({"status": "happy"}, "status"),
    ],
)
def test_bad_input_in_the_admin_is_shown_beside_the_field(
    admin_client, profile, resource, changes, field
):
    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"),
        admin_add_data(profile, resource, **changes),
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_a_category_of_another_resource_is_refused_in_the_admin(admin_client, profile, resource):
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"))

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_add"),
        admin_add_data(profile, resource, categories=[elsewhere.pk]),
    )

    assert "categories" in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_changing_the_status_in_the_admin_records_the_event(admin_client, profile, resource):
    subscription = SubscriptionFactory(profile=profile, resource=resource, custom_values={})
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])

    response = admin_client.post(
        url,
        {
            "status": "unsubscribed",
            "priority": "2",
            "custom_values": "{}",
            "reg_date_0": "",
            "reg_date_1": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("unsubscribed", 2)
    assert Event.objects.get(type="unsubscribed").data["subscription"] == subscription.public_id


def test_deleting_in_the_admin_is_soft(admin_client, profile, resource):
    subscription = SubscriptionFactory(profile=profile, resource=resource)
    url = reverse("admin:subscriptions_subscription_delete", args=[subscription.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert Subscription.all_objects.get().deleted_at is not None
    assert Event.objects.filter(type="subscription_deleted").exists()


def test_a_builtin_channel_cannot_be_deleted(admin_client):
    email = Channel.objects.get(slug="email")

    response = admin_client.get(reverse("admin:subscriptions_channel_delete", args=[email.pk]))

    assert response.status_code == 403


# -- A staff member limited to some databases ----------------------------------------------


@pytest.fixture
def limited_staff(client, database):
    """dana: staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


@pytest.fixture
def elsewhere(resource):
    """A subscription of a profile in a database dana is not a member of."""
    profile = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    return SubscriptionFactory(profile=profile, resource=resource, contact="hidden@example.com")


def test_the_subscription_list_shows_only_the_staff_members_databases(
    limited_staff, profile, resource, elsewhere
):
    SubscriptionFactory(profile=profile, resource=resource, contact="shown@example.com")

    page = limited_staff.get(reverse("admin:subscriptions_subscription_changelist"))

    html = page.content.decode()
    assert "shown@example.com" in html
    assert "hidden@example.com" not in html


def test_another_databases_subscription_is_not_found_in_the_admin(limited_staff, elsewhere):
    url = reverse("admin:subscriptions_subscription_change", args=[elsewhere.pk])

    response = limited_staff.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_subscription_cannot_be_added_to_another_databases_profile(
    limited_staff, resource, elsewhere
):
    response = limited_staff.post(
        reverse("admin:subscriptions_subscription_add"),
        admin_add_data(elsewhere.profile, resource),
    )

    assert response.status_code == 200
    assert "profile" in response.context["adminform"].form.errors
    assert Subscription.objects.count() == 1


def test_view_on_site_does_not_name_another_databases_profile(limited_staff, elsewhere):
    profile_type = ContentType.objects.get_for_model(Profile)
    url = reverse("admin:view_on_site", args=[profile_type.pk, elsewhere.profile.pk])

    response = limited_staff.get(url)

    assert response.status_code == 404
    assert elsewhere.profile.profile_id not in response.content.decode()


# -- Custom subscription fields ----------------------------------------------------------


def test_a_subscription_field_holding_values_keeps_its_type_in_the_resource_admin(
    admin_client, profile, resource
):
    seats = SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    SubscriptionFactory(profile=profile, resource=resource, custom_values={"seats": 3})
    url = reverse("admin:subscriptions_resource_change", args=[resource.pk])
    data = {
        "name": resource.name,
        "channels": [],
        "categories-TOTAL_FORMS": "0",
        "categories-INITIAL_FORMS": "0",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "1",
        "fields-0-id": seats.pk,
        "fields-0-resource": resource.pk,
        "fields-0-position": "0",
        "fields-0-name": "seats",
        "fields-0-type": "line",
        "fields-0-options": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert "type" in formset.forms[0].errors
    seats.refresh_from_db()
    assert seats.type == "number"


def test_the_subscription_list_finds_by_id_profile_and_contact_start_newest_first(
    admin_client, profile, resource
):
    older = SubscriptionFactory(profile=profile, resource=resource, contact="ann@example.com")
    newer = SubscriptionFactory(profile=profile, resource=resource, contact="ann@work.example")
    other = SubscriptionFactory(resource=resource, contact="bob@example.com")
    url = reverse("admin:subscriptions_subscription_changelist")

    def found(q):
        return list(admin_client.get(url, {"q": q}).context["cl"].result_list)

    assert found("ann@") == [newer, older]  # by the primary key's index, newest first
    assert found("ANN@WORK") == [newer]  # a contact's start, whatever its case
    assert found(other.public_id) == [other]
    assert found(profile.profile_id) == [newer, older]
    assert found(profile.email.upper()) == [newer, older]
    assert found("example.com") == []  # not a start: the pattern index answers starts only


def test_deleting_from_the_list_confirms_the_subscriptions_alone_and_keeps_their_categories(
    admin_client, profile, resource
):
    """Deletion is soft: the confirmation does not list category links as deleted, and
    after it the subscriptions are marked deleted with their categories."""
    news = CategoryFactory(resource=resource, name="News")
    subscriptions = [
        SubscriptionFactory(profile=profile, resource=resource, contact=f"s{n}@example.com")
        for n in range(2)
    ]
    for subscription in subscriptions:
        subscription.categories.add(news)
    url = reverse("admin:subscriptions_subscription_changelist")
    chosen = {"action": "delete_selected", "_selected_action": [s.pk for s in subscriptions]}

    confirmation = admin_client.post(url, chosen).content.decode()

    assert "s0@example.com" in confirmation and "s1@example.com" in confirmation
    assert "Subscriptions: 2" in confirmation
    assert "relationship" not in confirmation.lower()
    assert "Profiles administration" in confirmation

    response = admin_client.post(url, {**chosen, "post": "yes"})
    assert response.status_code == 302
    for subscription in subscriptions:
        subscription.refresh_from_db()
        assert subscription.deleted_at is not None
        assert list(subscription.categories.all()) == [news]
    one = SubscriptionFactory(profile=profile, resource=resource, contact="one@example.com")
    page = admin_client.get(reverse("admin:subscriptions_subscription_delete", args=[one.pk]))
    assert "Subscriptions: 1" in page.content.decode()


# -- The suppression list ----------------------------------------------------------------


@pytest.fixture
def suppressed_elsewhere(db):
    """An address suppressed by a hard bounce of a profile dana may not see."""
    profile = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    return SuppressedAddress.objects.suppress(
        "hidden@example.com", reason="hard_bounced", profile=profile
    )


def suppression_list(client, **query):
    response = client.get(reverse("admin:subscriptions_suppressedaddress_changelist"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_suppression_list_shows_only_entries_of_the_staff_members_databases(
    limited_staff, profile, suppressed_elsewhere
):
    SuppressedAddress.objects.suppress("shown@example.com", reason="hard_bounced", profile=profile)
    SuppressedAddress.objects.suppress("by.hand@example.com", reason="manual")

    html = suppression_list(limited_staff)

    assert "shown@example.com" in html and "by.hand@example.com" in html
    assert "hidden@example.com" not in html
    assert suppressed_elsewhere.profile_id not in html


def test_the_suppression_list_search_does_not_find_another_databases_profile(
    limited_staff, suppressed_elsewhere
):
    html = suppression_list(limited_staff, q=suppressed_elsewhere.profile_id)

    assert "hidden@example.com" not in html
    assert "0 suppressed addresses" in html


@pytest.mark.parametrize("page", ["change", "delete"])
def test_another_databases_suppressed_address_is_not_found(
    limited_staff, suppressed_elsewhere, page
):
    url = reverse(f"admin:subscriptions_suppressedaddress_{page}", args=[suppressed_elsewhere.pk])

    response = limited_staff.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_another_databases_suppression_cannot_be_lifted(limited_staff, suppressed_elsewhere):
    url = reverse("admin:subscriptions_suppressedaddress_delete", args=[suppressed_elsewhere.pk])
    limited_staff.post(url, {"post": "yes"})
    limited_staff.post(
        reverse("admin:subscriptions_suppressedaddress_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [suppressed_elsewhere.pk],
            "post": "yes",
        },
    )

    assert SuppressedAddress.objects.is_suppressed("hidden@example.com")


def test_staff_without_access_to_profiles_see_only_entries_tied_to_no_profile(
    client, database, profile
):
    staff = grant(UserFactory(username="sam", is_staff=True), "view_suppressedaddress")
    database.members.add(staff)
    SuppressedAddress.objects.suppress("shown@example.com", reason="hard_bounced", profile=profile)
    SuppressedAddress.objects.suppress("by.hand@example.com", reason="manual")
    client.force_login(staff)

    html = suppression_list(client)

    assert "by.hand@example.com" in html and "shown@example.com" not in html


def test_an_entry_whose_profile_is_gone_is_shown_to_superusers_only(
    client, alice, limited_staff, database
):
    gone = ProfileFactory(database=database)
    SuppressedAddress.objects.suppress("gone@example.com", reason="hard_bounced", profile=gone)
    gone.delete()

    assert "gone@example.com" not in suppression_list(limited_staff)
    client.force_login(alice)
    assert "gone@example.com" in suppression_list(client)


def test_a_superuser_sees_and_lifts_every_suppression(admin_client, suppressed_elsewhere):
    html = suppression_list(admin_client, q=suppressed_elsewhere.profile_id)
    assert "hidden@example.com" in html
    url = reverse("admin:subscriptions_suppressedaddress_change", args=[suppressed_elsewhere.pk])
    assert "hidden@example.com" in admin_client.get(url).content.decode()

    url = reverse("admin:subscriptions_suppressedaddress_delete", args=[suppressed_elsewhere.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not SuppressedAddress.objects.is_suppressed("hidden@example.com")
