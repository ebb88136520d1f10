"""Editing a subscription's device and custom fields after creation, and a suspension that
ends by itself at its until-date (the worker's periodic work)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from jobs import periodic
from operations import subscriptions as services
from subscriptions.models import Subscription
from tests.conftest import grant
from tests.factories import ProfileFactory, UserFactory
from tests.subscriptions.factories import SubscriptionFieldFactory, channel

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "subscriptions"}


def url(subscription, name):
    return reverse(
        f"subscriptions:{name}", args=[subscription.profile.profile_id, subscription.public_id]
    )


def subscribe(profile, resource, contact="a@example.com", **kwargs):
    return services.subscribe(
        profile, resource=resource, channel=channel("email"), contact=contact, **kwargs
    ).subscription


def fields_data(subscription, **values):
    return {f"f-{subscription.public_id}-{key}": value for key, value in values.items()}


def row_data(subscription, **values):
    data = {"status": subscription.status, "priority": subscription.priority} | values
    return {f"s-{subscription.public_id}-{key}": value for key, value in data.items()}


# -- Device and custom fields after creation ---------------------------------------------


def test_it_opens_the_fields_form_in_the_row_filled_with_the_values(client, bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="size", label="Shoe size", type="number")
    subscription = subscribe(
        profile, resource, device={"device_model": "Pixel 8"}, custom_values={"size": 42}
    )
    client.force_login(bob)

    html = client.get(url(subscription, "fields"), **HTMX).content.decode()

    assert "<html" not in html and "Shoe size" in html
    assert 'value="Pixel 8"' in html and 'value="42"' in html
    assert "Save fields" in html


def test_it_changes_device_and_custom_fields_and_records_it(client, bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="size", type="number")
    subscription = subscribe(profile, resource, custom_values={"size": 42})
    client.force_login(bob)

    response = client.post(
        url(subscription, "fields"),
        fields_data(subscription, device_model="Pixel 9", platform="android", field_size="43"),
        **HTMX,
    )

    assert response.status_code == 200
    assert "Pixel 9" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.device_model, subscription.platform) == ("Pixel 9", "android")
    assert subscription.custom_values == {"size": 43}
    event = Event.objects.get(profile=profile, type="subscription_changed")
    assert event.data["subscription"] == subscription.public_id
    assert event.data["fields"] == ["device_model", "platform", "custom_values.size"]


def test_a_bad_custom_value_stays_in_the_form_and_changes_nothing(client, bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="size", type="number")
    subscription = subscribe(profile, resource, custom_values={"size": 42})
    client.force_login(bob)

    response = client.post(
        url(subscription, "fields"),
        fields_data(subscription, device_model="Pixel 9", field_size="4.5"),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a whole number" in html and 'value="4.5"' in html
    subscription.refresh_from_db()
    assert subscription.custom_values == {"size": 42} and subscription.device_model == ""
    assert not Event.objects.filter(type="subscription_changed").exists()


def test_saving_unchanged_fields_records_nothing(client, bob, profile, resource):
    subscription = subscribe(profile, resource, device={"device_name": "Work phone"})
    client.force_login(bob)

    client.post(url(subscription, "fields"), fields_data(subscription, device_name="Work phone"))

    assert not Event.objects.filter(type="subscription_changed").exists()


def test_a_plain_post_redirects_to_the_section(client, bob, profile, resource):
    subscription = subscribe(profile, resource)
    client.force_login(bob)

    response = client.post(url(subscription, "fields"), fields_data(subscription, app_version="2"))

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:profile", args=[profile.profile_id])
    subscription.refresh_from_db()
    assert subscription.app_version == "2"


def test_fields_need_the_change_permission(client, profile, resource, database):
    subscription = subscribe(profile, resource)
    reader = UserFactory()
    grant(reader, "view_profile", "view_subscription")
    database.members.add(reader)
    client.force_login(reader)

    response = client.post(url(subscription, "fields"), fields_data(subscription, app_id="x"))

    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.app_id == ""


def test_another_profiles_subscription_fields_are_not_found(
    client, bob, profile, resource, database
):
    other = subscribe(ProfileFactory(database=database), resource, "x@example.com")
    client.force_login(bob)

    path = reverse("subscriptions:fields", args=[profile.profile_id, other.public_id])

    assert client.post(path, fields_data(other, app_id="x")).status_code == 404


def test_fields_reject_other_methods(client, bob, profile, resource):
    subscription = subscribe(profile, resource)
    client.force_login(bob)

    assert client.put(url(subscription, "fields")).status_code == 405


# -- Suspended until ------------------------------------------------------------------------


def in_an_hour():
    return (timezone.localtime() + timedelta(hours=1)).replace(second=0, microsecond=0)


def test_it_suspends_until_a_date_shown_on_the_row(client, bob, profile, resource):
    subscription = subscribe(profile, resource)
    until = in_an_hour()
    client.force_login(bob)

    response = client.post(
        url(subscription, "change"),
        row_data(
            subscription, status="suspended", suspended_until=until.strftime("%Y-%m-%dT%H:%M")
        ),
        **HTMX,
    )

    subscription.refresh_from_db()
    assert subscription.status == "suspended" and subscription.suspended_until == until
    html = response.content.decode()
    assert f'until <time datetime="{until.isoformat()}"' in html
    assert 'type="datetime-local"' in html
    event = Event.objects.get(type="subscription_status_changed")
    assert event.data["until"] == until.isoformat()


def test_the_until_date_must_be_in_the_future(client, bob, profile, resource):
    subscription = subscribe(profile, resource)
    past = timezone.localtime() - timedelta(days=1)
    client.force_login(bob)

    response = client.post(
        url(subscription, "change"),
        row_data(subscription, status="suspended", suspended_until=past.strftime("%Y-%m-%dT%H:%M")),
        **HTMX,
    )

    assert "Enter a moment in the future." in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "subscribed" and subscription.suspended_until is None


def test_leaving_suspended_drops_the_date(client, bob, profile, resource):
    subscription = subscribe(profile, resource)
    services.update_subscription(subscription, status="suspended", suspended_until=in_an_hour())
    client.force_login(bob)

    client.post(
        url(subscription, "change"),
        row_data(
            subscription,
            status="unsubscribed",
            suspended_until=in_an_hour().strftime("%Y-%m-%dT%H:%M"),
        ),
        **HTMX,
    )

    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed" and subscription.suspended_until is None


def test_the_periodic_work_resumes_a_suspension_whose_date_passed(profile, resource):
    due = subscribe(profile, resource, "due@example.com")
    later = subscribe(profile, resource, "later@example.com")
    forever = subscribe(profile, resource, "forever@example.com")
    services.update_subscription(due, status="suspended", suspended_until=in_an_hour())
    services.update_subscription(later, status="suspended", suspended_until=in_an_hour())
    services.update_subscription(forever, status="suspended")
    Subscription.objects.filter(pk=due.pk).update(
        suspended_until=timezone.now() - timedelta(minutes=1)
    )

    resumed = services.resume_due()

    assert [s.pk for s in resumed] == [due.pk]
    statuses = dict(Subscription.objects.values_list("contact", "status"))
    assert statuses == {
        "due@example.com": "subscribed",
        "later@example.com": "suspended",
        "forever@example.com": "suspended",
    }
    due.refresh_from_db()
    assert due.suspended_until is None
    event = Event.objects.get(
        type="subscribed", data__subscription=due.public_id, data__to="subscribed"
    )
    assert (event.data["from"], event.data["source"]) == ("suspended", "suspension_end")


def test_the_worker_runs_the_resumption_among_its_periodic_work(profile, resource):
    assert any(p.function is services.resume_due for p in periodic.registered())
    subscription = subscribe(profile, resource)
    services.update_subscription(subscription, status="suspended", suspended_until=in_an_hour())

    services.resume_due(now=timezone.now() + timedelta(hours=2))

    subscription.refresh_from_db()
    assert subscription.status == "subscribed"


def test_the_details_show_a_language_by_name_and_a_date_as_a_date(client, bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="since", label="Customer since", type="date")
    subscribe(
        profile,
        resource,
        device={"platform_language": "fr"},
        custom_values={"since": "2019-08-22"},
    )
    client.force_login(bob)

    html = client.get(
        reverse("subscriptions:profile", args=[profile.profile_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="section",
    ).content.decode()

    assert "<dd>French (fr)</dd>" in html
    assert "<dt>Customer since</dt><dd>2019-08-22</dd>" in html
    assert "2019-08-22T00:00:00.000Z" not in html
