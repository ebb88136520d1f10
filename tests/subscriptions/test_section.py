"""The Subscriptions section of the profile page and its in-place changes."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from history.models import Event
from operations import subscriptions as services
from subscriptions.models import Subscription, SuppressedAddress
from tests.conftest import MARKETER_PERMISSIONS, grant
from tests.factories import UserFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
    channel,
)
from web.subscriptions.views import SHOWN_IN_SECTION, SHOWN_PER_CHANNEL

pytestmark = pytest.mark.django_db
SECTION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "subscriptions"}


def section_url(profile):
    return reverse("subscriptions:profile", args=[profile.profile_id])


def add_url(profile):
    return reverse("subscriptions:add", args=[profile.profile_id])


def change_url(subscription, name="change"):
    return reverse(
        f"subscriptions:{name}", args=[subscription.profile.profile_id, subscription.public_id]
    )


def subscribe(profile, resource, contact, ch="email", **kwargs):
    return services.subscribe(
        profile, resource=resource, channel=channel(ch), contact=contact, **kwargs
    ).subscription


# -- Reading ---------------------------------------------------------------------------


def test_it_groups_by_resource_then_channel_ordered_by_priority(client, bob, profile, resource):
    shop = ResourceFactory(name="Shop")
    subscribe(profile, shop, "shop@example.com")
    subscribe(profile, resource, "second@example.com", priority=5)
    subscribe(profile, resource, "first@example.com", priority=1)
    subscribe(profile, resource, "+14155550123", ch="sms")
    client.force_login(bob)

    response = client.get(section_url(profile), **SECTION)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the fragment only
    order = [
        html.index(text)
        for text in (
            ">Shop<",
            "shop@example.com",
            ">Website<",
            "first@example.com",
            "second@example.com",
            "+14155550123",
        )
    ]
    assert order == sorted(order)


def test_it_marks_the_subscription_that_receives(client, bob, profile, resource):
    top = subscribe(profile, resource, "top@example.com", priority=0, status="unsubscribed")
    receiver = subscribe(profile, resource, "receiver@example.com", priority=3)
    client.force_login(bob)

    response = client.get(section_url(profile), **SECTION)

    html = response.content.decode()
    assert f'class="subscription receives" id="subscription-{receiver.public_id}"' in html
    assert f'class="subscription" id="subscription-{top.public_id}"' in html


def test_nobody_receives_when_the_global_status_forbids(client, bob, profile, resource):
    subscribe(profile, resource, "a@example.com")
    profile.status = "unsubscribed"
    profile.save()
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    assert "subscription receives" not in html
    assert "nothing is sent on any channel" in html


def test_a_suppressed_address_does_not_receive(client, bob, profile, resource):
    subscribe(profile, resource, "gone@example.com", priority=0)
    fallback = subscribe(profile, resource, "fallback@example.com", priority=1)
    SuppressedAddress.objects.suppress("gone@example.com", reason="hard_bounced")
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    assert f'class="subscription receives" id="subscription-{fallback.public_id}"' in html
    assert "Suppressed" in html


def test_the_whole_page_shows_the_section(client, bob, profile, resource):
    subscribe(profile, resource, "a@example.com")
    client.force_login(bob)

    response = client.get(section_url(profile))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'id="subscriptions"' in html
    assert "a@example.com" in html


def test_it_shows_the_confirmation_link_of_an_unconfirmed_subscription(
    client, bob, profile, resource
):
    waiting = subscribe(profile, resource, "a@example.com", status="unconfirmed")
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    assert "http://testserver" + waiting.confirmation_path().split(":")[0] in html


def test_the_section_query_count_does_not_grow_with_subscriptions(
    client, bob, profile, resource, django_assert_max_num_queries
):
    SubscriptionFieldFactory(resource=resource, name="plan")
    CategoryFactory(resource=resource, name="News")
    client.force_login(bob)

    def make(count, offset):
        for n in range(count):
            other = ResourceFactory(name=f"Resource {n % 3}")
            CategoryFactory(resource=other, name=f"C{offset + n}")
            SubscriptionFactory(
                profile=profile,
                resource=other if n % 2 else resource,
                channel=channel("sms" if n % 3 else "email"),
                contact=f"c{offset + n}@example.com",
                custom_values={"plan": "x"} if n % 2 == 0 else {},
                status="unconfirmed" if n % 4 == 0 else "subscribed",
            )

    make(3, 0)
    client.get(section_url(profile), **SECTION)  # warm the permission cache of the session
    with CaptureQueriesContext(connection) as few:
        client.get(section_url(profile), **SECTION)
    make(37, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(section_url(profile), **SECTION)
    html = response.content.decode()
    assert 'Subscriptions <span class="muted">(40)</span>' in html
    assert html.count('<li class="subscription') > SHOWN_PER_CHANNEL  # several channels
    assert "Show all" in html


# -- A bounded number of rows per channel ----------------------------------------------


def rows_in(html):
    """The contacts of the subscription rows drawn, in order."""
    return re.findall(r'<li class="subscription[^"]*" id="[^"]+" data-contact="([^"]+)"', html)


def show_all_urls(html):
    """The (href, hx-get) of each "Show all" control."""
    return [
        (unescape(href), unescape(rest))
        for href, rest in re.findall(
            r'<li class="show-all">\s*<a class="button small" href="([^"]+)" hx-get="([^"]+)"', html
        )
    ]


def eight_subscriptions(profile, resource):
    return [
        SubscriptionFactory(
            profile=profile, resource=resource, contact=f"p{n}@example.com", priority=n
        )
        for n in range(8)
    ]


def test_it_draws_the_first_rows_of_a_channel_and_loads_the_rest(
    client, bob, profile, resource, django_assert_max_num_queries
):
    eight_subscriptions(profile, resource)
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    shown = SHOWN_PER_CHANNEL
    assert rows_in(html) == [f"p{n}@example.com" for n in range(shown)]
    assert f"Show all 8 ({8 - shown} more)" in html
    [(href, rest)] = show_all_urls(html)
    # 13 reads whatever the channel holds (session, user, permissions, profile, the briefs,
    # resources, channels, suppressions, the drawn rows, their categories, the resources'
    # categories and fields) and the request's savepoint with its release.
    with django_assert_max_num_queries(15):
        rest_html = client.get(rest, **HTMX).content.decode()
    assert rows_in(rest_html) == [f"p{n}@example.com" for n in range(shown, 8)]
    assert "<html" not in rest_html
    # The loaded rows are edited as the others (their forms post to their change URLs).
    last = Subscription.objects.get(contact="p7@example.com")
    assert f'hx-post="{change_url(last)}"' in rest_html
    assert f'hx-post="{change_url(last, "categories")}"' not in rest_html  # no categories
    # They say their channel is open, so the changes made from them keep it open.
    assert '<input type="hidden" name="open"' in rest_html
    # Without JavaScript the control's link opens the section with the channel whole.
    assert len(rows_in(client.get(href, **SECTION).content.decode())) == 8


def test_the_rest_of_a_channel_needs_the_same_access(client, charlie, bob, profile, resource):
    eight_subscriptions(profile, resource)
    client.force_login(bob)
    [(_, rest)] = show_all_urls(client.get(section_url(profile), **SECTION).content.decode())
    outsider = grant(UserFactory(username="dave"), *MARKETER_PERMISSIONS)

    assert client.get(rest.replace(f"resource={resource.pk}", "resource=x")).status_code == 404
    assert client.post(rest).status_code == 405
    client.force_login(charlie)
    assert client.get(rest).status_code == 403
    client.force_login(outsider)
    assert client.get(rest).status_code == 404


def test_a_change_keeps_the_channel_of_the_changed_row_open(client, bob, profile, resource):
    subscriptions = eight_subscriptions(profile, resource)
    client.force_login(bob)
    last = subscriptions[-1]

    response = client.post(change_url(last), row_data(last, priority=20), **HTMX)

    html = response.content.decode()
    assert len(rows_in(html)) == 8
    assert rows_in(html)[-1] == "p7@example.com"
    last.refresh_from_db()
    assert last.priority == 20


def test_a_change_elsewhere_keeps_the_opened_channels_open(client, bob, profile, resource, sms):
    eight_subscriptions(profile, resource)
    other = SubscriptionFactory(
        profile=profile, resource=resource, channel=sms, contact="+14155550100"
    )
    client.force_login(bob)
    key = f"{resource.pk}-email"  # what the loaded rows of the email channel send back

    closed = client.post(change_url(other), row_data(other, priority=3), **HTMX)
    opened = client.post(change_url(other), row_data(other, priority=4) | {"open": key}, **HTMX)

    assert len(rows_in(closed.content.decode())) == SHOWN_PER_CHANNEL + 1
    assert len(rows_in(opened.content.decode())) == 9


def test_the_section_draws_a_bounded_number_of_rows_in_all(client, bob, profile):
    per_channel = SHOWN_PER_CHANNEL
    resources = SHOWN_IN_SECTION // per_channel + 2
    for r in range(resources):
        resource = ResourceFactory(name=f"R{r:02}")
        for n in range(per_channel):
            SubscriptionFactory(profile=profile, resource=resource, contact=f"r{r}n{n}@example.com")
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    assert len(rows_in(html)) == SHOWN_IN_SECTION
    assert html.count(f"Show all {per_channel} ({per_channel} more)") == 2


def test_a_hidden_receiver_is_named_in_the_channel_heading(client, bob, profile, resource):
    for n in range(8):
        SubscriptionFactory(
            profile=profile,
            resource=resource,
            contact=f"p{n}@example.com",
            priority=n,
            status="subscribed" if n == 7 else "unsubscribed",
        )
    client.force_login(bob)

    html = client.get(section_url(profile), **SECTION).content.decode()

    assert "Receives: p7@example.com (below)" in html


# -- Access ----------------------------------------------------------------------------


def test_it_asks_an_anonymous_visitor_to_log_in(client, profile):
    response = client.get(section_url(profile))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_outsider_gets_404(client, profile):
    outsider = grant(UserFactory(username="dave"), *MARKETER_PERMISSIONS)  # not a member
    client.force_login(outsider)

    assert client.get(section_url(profile), **SECTION).status_code == 404
    assert client.post(add_url(profile), {}).status_code == 404


def test_a_user_without_permissions_gets_403(client, charlie, profile):
    client.force_login(charlie)

    assert client.get(section_url(profile), **SECTION).status_code == 403


def test_a_viewer_without_subscription_permissions_gets_403(client, database, profile):
    viewer = grant(UserFactory(username="vera"), "view_profile")
    database.members.add(viewer)
    client.force_login(viewer)

    assert client.get(section_url(profile), **SECTION).status_code == 403


def test_it_rejects_a_post_to_the_section(client, bob, profile):
    client.force_login(bob)

    assert client.post(section_url(profile)).status_code == 405


# -- Adding ----------------------------------------------------------------------------


def add_data(resource, **changes):
    return {
        "resource": resource.pk,
        "channel": "email",
        "contact": "ann@example.com",
        "status": "subscribed",
        "priority": "",
    } | changes


def test_it_adds_a_subscription_in_place(client, bob, profile, resource, news):
    client.force_login(bob)

    response = client.post(
        add_url(profile), add_data(resource, categories=[news.pk], priority="4"), **HTMX
    )

    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.contact == "ann@example.com"
    assert subscription.priority == 4
    assert list(subscription.categories.all()) == [news]
    assert f'id="subscription-{subscription.public_id}"' in response.content.decode()
    assert Event.objects.filter(profile=profile, type="subscribed").count() == 1


def test_it_adds_device_and_custom_fields(client, bob, profile, resource):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    client.force_login(bob)

    client.post(
        add_url(profile),
        add_data(
            resource,
            channel="push",
            contact="token-123",
            field_seats="12",
            device_type="mobile",
            platform="ios",
            ad_tracking="true",
            reg_source="app",
        ),
        **HTMX,
    )

    subscription = Subscription.objects.get()
    assert subscription.custom_values == {"seats": 12}
    assert (subscription.device_type, subscription.platform) == ("mobile", "ios")
    assert subscription.ad_tracking is True
    assert subscription.reg_source == "app"


def test_a_plain_post_redirects_to_the_section(client, bob, profile, resource):
    client.force_login(bob)

    response = client.post(add_url(profile), add_data(resource))

    assert response.status_code == 302
    assert response.url == section_url(profile)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact": "not-an-address"}, "contact", "valid email address"),
        ({"contact": ""}, "contact", "Enter the contact data."),
        ({"channel": "pigeon"}, "channel", "Select a valid choice"),
        ({"status": "happy"}, "status", "Select a valid choice"),
        ({"priority": "high"}, "priority", "whole number"),
        ({"categories": ["999999"]}, "categories", "Select a valid choice"),
        ({"device_type": "tablet"}, "device_type", "Select a valid choice"),
        ({"field_seats": "many"}, "field_seats", "whole number"),
    ],
)
def test_it_shows_the_error_beside_the_field_and_saves_nothing(
    client, bob, profile, resource, changes, field, message
):
    SubscriptionFieldFactory(resource=resource, name="seats", type="number")
    client.force_login(bob)

    response = client.post(add_url(profile), add_data(resource, **changes), **HTMX)

    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'class="field-error"' in response.content.decode()
    assert '<details class="subscription-add" open>' in response.content.decode()
    assert not Subscription.objects.exists()
    assert not Event.objects.filter(type="subscribed").exists()


def test_it_rejects_a_category_of_another_resource(client, bob, profile, resource):
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"))
    client.force_login(bob)

    response = client.post(add_url(profile), add_data(resource, categories=[elsewhere.pk]), **HTMX)

    assert "categories" in response.context["form"].errors
    assert not Subscription.objects.exists()


def test_the_add_form_is_read_when_it_is_opened(client, bob, profile):
    app = ResourceFactory(name="App", channels=[channel("push"), channel("sms")])
    client.force_login(bob)

    section = client.get(section_url(profile), **SECTION).content.decode()
    assert 'name="contact"' not in section  # the section does not draw the form's fields
    assert f'hx-get="{add_url(profile)}" hx-trigger="toggle once from:closest details"' in section
    assert f'<a href="{add_url(profile)}">Open it here</a>' in section  # without JavaScript

    opened = client.get(add_url(profile), **HTMX).content.decode()
    assert 'id="subscription-add-form"' in opened and 'name="contact"' in opened
    assert f'<option value="{app.pk}" selected>App</option>' in opened  # the only resource
    assert '<option value="push">' in opened
    assert "<html" not in opened
    whole_page = client.get(add_url(profile)).content.decode()
    assert '<details class="subscription-add" open>' in whole_page
    assert 'name="contact"' in whole_page


def test_the_channel_is_marked_required_before_a_resource_is_chosen(client, bob, profile):
    """With several resources none is chosen: the channel waits for one, and is marked
    required like the fields beside it (leaving it empty is refused as required)."""
    ResourceFactory(name="Other")
    ResourceFactory(name="App")
    client.force_login(bob)

    opened = client.get(add_url(profile), **HTMX).content.decode()

    assert "Choose a resource first" in opened
    mark = '<span class="required-mark" aria-hidden="true">*</span></label>'
    assert f">Channel{mark}" in opened and f">Resource{mark}" in opened


def test_choosing_a_resource_shows_its_channels_categories_and_fields(client, bob, profile):
    ResourceFactory(name="Other")
    app = ResourceFactory(name="App", channels=[channel("push"), channel("sms")])
    CategoryFactory(resource=app, name="Releases")
    SubscriptionFieldFactory(resource=app, name="app_plan", label="Plan")
    client.force_login(bob)

    response = client.get(add_url(profile), {"resource": app.pk}, **HTMX)

    html = response.content.decode()
    assert html.startswith('\n<form id="subscription-add-form"') or "subscription-add-form" in html
    assert '<option value="push">' in html
    assert '<option value="sms">' in html
    assert '<option value="email">' not in html
    assert "Releases" in html
    assert "Plan" in html


def test_bob_may_not_add_without_the_permission(client, database, profile, resource):
    viewer = grant(UserFactory(username="vera"), "view_profile", "view_subscription")
    database.members.add(viewer)
    client.force_login(viewer)

    response = client.post(add_url(profile), add_data(resource), **HTMX)

    assert response.status_code == 403
    assert not Subscription.objects.exists()


# -- Changing in place -----------------------------------------------------------------


def row_data(subscription, **values):
    prefix = f"s-{subscription.public_id}"
    data = {"status": subscription.status, "priority": subscription.priority} | values
    return {f"{prefix}-{key}": value for key, value in data.items()}


def test_it_changes_status_and_priority_in_place(client, bob, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(bob)

    response = client.post(
        change_url(subscription), row_data(subscription, status="suspended", priority=9), **HTMX
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("suspended", 9)
    assert 'id="subscriptions"' in response.content.decode()
    event = Event.objects.get(type="subscription_status_changed")
    assert (event.data["from"], event.data["to"]) == ("subscribed", "suspended")


def test_a_bad_priority_is_shown_beside_it_and_changes_nothing(client, bob, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(bob)

    response = client.post(
        change_url(subscription), row_data(subscription, status="invalid", priority="x"), **HTMX
    )

    assert response.status_code == 200
    assert "whole number" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("subscribed", 0)


def test_it_rejects_a_get_to_change(client, bob, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(bob)

    assert client.get(change_url(subscription)).status_code == 405


def test_another_profiles_subscription_is_not_found(client, bob, profile, resource, database):
    from tests.factories import ProfileFactory

    other = subscribe(ProfileFactory(database=database), resource, "x@example.com")
    client.force_login(bob)
    url = reverse("subscriptions:change", args=[profile.profile_id, other.public_id])

    assert client.post(url, row_data(other, status="invalid")).status_code == 404


def test_it_changes_categories_in_place(client, bob, profile, resource, news, offers):
    subscription = subscribe(profile, resource, "a@example.com", categories=[news])
    client.force_login(bob)

    response = client.post(
        change_url(subscription, "categories"), {"categories": [offers.pk]}, **HTMX
    )

    assert response.status_code == 200
    assert list(subscription.categories.all()) == [offers]
    assert Event.objects.filter(type="subscription_categories_changed").exists()


def test_unchecking_every_category_unsubscribes_from_all(client, bob, profile, resource, news):
    subscription = subscribe(profile, resource, "a@example.com", categories=[news])
    client.force_login(bob)

    client.post(change_url(subscription, "categories"), {}, **HTMX)

    assert not subscription.categories.exists()


def test_a_category_of_another_resource_is_refused(client, bob, profile, resource, news):
    subscription = subscribe(profile, resource, "a@example.com", categories=[news])
    elsewhere = CategoryFactory(resource=ResourceFactory(name="Shop"))
    client.force_login(bob)

    response = client.post(
        change_url(subscription, "categories"), {"categories": [elsewhere.pk]}, **HTMX
    )

    assert "Unknown category" in response.content.decode()
    assert list(subscription.categories.all()) == [news]


# -- Deleting --------------------------------------------------------------------------


def test_bob_may_not_delete(client, bob, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(bob)

    assert client.post(change_url(subscription, "delete"), **HTMX).status_code == 403
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_alice_deletes_in_place(client, alice, profile, resource):
    subscription = subscribe(profile, resource, "a@example.com")
    client.force_login(alice)

    response = client.post(change_url(subscription, "delete"), **HTMX)

    assert response.status_code == 200
    section, messages = response.content.decode().split('<div id="messages"', 1)
    assert "a@example.com" not in section
    assert "Subscription a@example.com (Website, Email) deleted." in messages
    assert Subscription.all_objects.get().deleted_at is not None
    assert Event.objects.filter(type="subscription_deleted").exists()
