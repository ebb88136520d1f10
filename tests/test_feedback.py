"""Feedback on every action: a message after each change, out of band for htmx; the page
header follows an edit; a decimal priority is an error beside its field."""

import re

import pytest
from django.urls import reverse

from history.models import Event
from operations import subscriptions as services
from segments.models import Segment, SegmentMembership
from subscriptions.models import CHANNEL_LIMIT, Subscription
from tests.factories import ProfileFactory
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db


def htmx(target, page=""):
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}
    if page:
        headers["HTTP_HX_CURRENT_URL"] = f"http://testserver{page}"
    return headers


OOB = '<div id="messages" hx-swap-oob="beforeend">'


def messages(html):
    """Return the texts of the messages swapped out of band into #messages."""
    if OOB not in html:
        return []
    box = html.split(OOB, 1)[1].split("</div>", 1)[0]
    return [text.strip() for text in re.findall(r'<p class="message[^"]*"[^>]*>([^<]*)</p>', box)]


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, email="ann@example.com", first_name="Ann")


@pytest.fixture
def website(db):
    return ResourceFactory(name="Website")


@pytest.fixture
def logged_in(client, bob):
    client.force_login(bob)
    return client


def sub_url(name, subscription):
    return reverse(
        f"subscriptions:{name}", args=[subscription.profile.profile_id, subscription.public_id]
    )


# -- Subscriptions -----------------------------------------------------------------------


def test_adding_a_subscription_says_so(logged_in, profile, website):
    url = reverse("subscriptions:add", args=[profile.profile_id])
    data = {"resource": website.pk, "channel": "email", "contact": "ann@example.com"}
    data["status"] = "subscribed"
    html = logged_in.post(url, data, **htmx("subscriptions")).content.decode()
    assert messages(html) == ["Subscription ann@example.com (Website, Email) added."]
    assert html.index('id="subscriptions"') < html.index(OOB)


def test_adding_at_the_limit_says_which_subscription_was_replaced(logged_in, profile, website):
    email = channel("email")
    for n in range(CHANNEL_LIMIT):
        SubscriptionFactory(
            profile=profile,
            resource=website,
            channel=email,
            contact=f"s{n}@example.com",
            priority=n,
        )
    url = reverse("subscriptions:add", args=[profile.profile_id])
    data = {"resource": website.pk, "channel": "email", "contact": "new@example.com"}
    data["status"] = "subscribed"
    html = logged_in.post(url, data, **htmx("subscriptions")).content.decode()
    # The lowest priority (the largest number) goes first.
    assert messages(html) == [
        "Subscription new@example.com (Website, Email) added. The limit of 20 subscriptions "
        "per resource and channel (200 per profile) was reached: it replaced "
        "s19@example.com (Website, Email)."
    ]
    assert not Subscription.all_objects.filter(contact="s19@example.com").exists()


def test_changing_a_subscription_says_what_it_now_is(logged_in, profile, website):
    subscription = SubscriptionFactory(profile=profile, resource=website, contact="ann@example.com")
    prefix = f"s-{subscription.public_id}-"
    data = {prefix + "status": "unsubscribed", prefix + "priority": "3"}
    html = logged_in.post(sub_url("change", subscription), data, **htmx("subscriptions"))
    assert messages(html.content.decode()) == [
        "Subscription ann@example.com (Website, Email) saved: unsubscribed, priority 3."
    ]


def test_a_decimal_priority_is_an_error_beside_the_field_and_keeps_the_chosen_status(
    logged_in, profile, website
):
    subscription = SubscriptionFactory(profile=profile, resource=website, priority=2)
    prefix = f"s-{subscription.public_id}-"
    data = {prefix + "status": "unsubscribed", prefix + "priority": "1.5"}
    response = logged_in.post(sub_url("change", subscription), data, **htmx("subscriptions"))
    html = response.content.decode()
    assert response.status_code == 200
    assert messages(html) == []
    row = html.split(f'id="subscription-{subscription.public_id}"', 1)[1].split("</li>", 1)[0]
    field = re.search(r'<div class="form-field has-error">((?:(?!</div>).)*)</div>', row, re.S)
    assert f'name="{prefix}priority"' in field.group(1)
    assert "Enter the priority as a whole number, e.g. 0 or 10 (got “1.5”)." in field.group(1)
    assert '<option value="unsubscribed" selected>' in row  # what the user chose, not lost
    # The browser does not silently refuse the form (no native step check on submit).
    assert re.search(r'<form class="subscription-edit"[^>]*novalidate', row)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.priority) == ("subscribed", 2)
    assert not Event.objects.filter(type="subscription_status_changed").exists()


def test_saving_categories_and_deleting_say_so(client, alice, profile, website):
    client.force_login(alice)
    news = website.categories.create(name="News")
    subscription = SubscriptionFactory(profile=profile, resource=website, contact="ann@example.com")
    response = client.post(
        sub_url("categories", subscription), {"categories": [news.pk]}, **htmx("subscriptions")
    )
    named = "ann@example.com (Website, Email)"
    assert messages(response.content.decode()) == [f"Categories of {named} saved: News."]
    response = client.post(sub_url("delete", subscription), **htmx("subscriptions"))
    assert messages(response.content.decode()) == [f"Subscription {named} deleted."]


def test_a_plain_request_gets_the_message_on_the_next_page_once(logged_in, profile, website):
    subscription = SubscriptionFactory(profile=profile, resource=website, contact="ann@example.com")
    prefix = f"s-{subscription.public_id}-"
    data = {prefix + "status": "subscribed", prefix + "priority": "4"}
    response = logged_in.post(sub_url("change", subscription), data, follow=True)
    html = response.content.decode()
    assert OOB not in html
    assert html.count("saved: subscribed, priority 4.") == 1
    assert "saved: subscribed" not in logged_in.get(response.request["PATH_INFO"]).content.decode()


def test_a_fragment_without_a_message_carries_no_messages_box(logged_in, profile):
    url = reverse("subscriptions:profile", args=[profile.profile_id])
    assert OOB not in logged_in.get(url, **htmx("section")).content.decode()


def test_a_refused_add_says_nothing_but_shows_the_error(logged_in, profile, website):
    services.subscribe(profile, resource=website, channel=channel("email"), contact="a@x.example")
    url = reverse("subscriptions:add", args=[profile.profile_id])
    data = {"resource": website.pk, "channel": "email", "contact": "a@x.example"}
    data["status"] = "subscribed"
    html = logged_in.post(url, data, **htmx("subscriptions")).content.decode()
    assert messages(html) == [] and "already has a subscription" in html


# -- Segments ----------------------------------------------------------------------------


def test_adding_to_and_removing_from_a_segment_say_so(logged_in, profile, database):
    segment = Segment.objects.create(name="VIP", database=database)
    url = reverse("segments:add", args=[profile.profile_id])
    html = logged_in.post(url, {"segment": segment.pk}, **htmx("section")).content.decode()
    assert messages(html) == ["Added to the segment “VIP”."]
    url = reverse("segments:remove", args=[profile.profile_id, segment.pk])
    html = logged_in.post(url, **htmx("section")).content.decode()
    assert messages(html) == ["Removed from the segment “VIP”."]
    assert not SegmentMembership.objects.exists()
    html = logged_in.post(url, **htmx("section")).content.decode()
    assert messages(html) == ["Not in the segment “VIP”."]


# -- Profile fields, tab settings, global status -----------------------------------------


def test_editing_fields_says_so_and_the_header_follows(logged_in, profile):
    url = reverse("profiles:edit", args=[profile.profile_id]) + "?tab=contact"
    page = profile.get_absolute_url()
    response = logged_in.post(url, {"email": "", "phones": ""}, **htmx("tab-content", page))
    html = response.content.decode()
    assert messages(html) == ["Contact saved."]
    header = html.split('id="profile-header"', 1)[1].split("</section>", 1)[0]
    assert html.count('id="profile-header"') == 1
    assert re.search(r'id="profile-header"[^>]*hx-swap-oob="true"', html)
    assert "ann@example.com" not in header
    assert f"No email ({profile.profile_id}@localhost)" in header


def test_editing_a_name_updates_the_header(logged_in, profile):
    url = reverse("profiles:edit", args=[profile.profile_id]) + "?tab=personal"
    data = {"first_name": "Augusta", "last_name": "King"}
    html = logged_in.post(url, data, **htmx("tab-content")).content.decode()
    header = html.split('id="profile-header"', 1)[1].split("</section>", 1)[0]
    assert "<h1>Augusta King</h1>" in header


def test_saving_tab_settings_says_so(logged_in, profile):
    url = reverse("profiles:tab_default", args=[profile.profile_id]) + "?tab=main"
    html = logged_in.post(url, {"default_tab": "contact"}, **htmx("tab-content")).content.decode()
    assert messages(html) == ["Default tab saved."]


def test_changing_the_global_status_says_so(logged_in, profile):
    url = reverse("profiles:status", args=[profile.profile_id])
    html = logged_in.post(url, {"status": "hard_bounced"}, **htmx("profile-header")).content
    assert messages(html.decode()) == ["Global status: Hard bounced."]
