"""The History section in words and in the viewer's time: names, not ids; one date format."""

import re
from datetime import UTC, datetime

import pytest

from operations.segments import add_to_segment
from operations.subscriptions import subscribe
from segments.models import Segment
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.history.factories import make_event
from tests.subscriptions.factories import ResourceFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


@pytest.fixture
def client(client, bob):
    client.force_login(bob)
    return client


def section(client, profile, params=None):
    url = f"/profiles/{profile.profile_id}/history/"
    response = client.get(url, params or {}, **HTMX)
    assert response.status_code == 200, response.content
    return response.content.decode()


def details(html, label):
    """Return what the rows show for one data label, newest first."""
    return re.findall(rf"<dt>{label}</dt><dd>([^<]*)</dd>", html)


def shown(html):
    return re.findall(r'<tr class="history-event" data-type="([a-z_]+)"', html)


# -- Words, not ids ----------------------------------------------------------------------


def test_a_segment_event_shows_the_segments_name(client, database, profile):
    segment = Segment.objects.create(name="VIP customers", database=database)
    add_to_segment(segment, profile)
    make_event(profile, "segment_exited", segment=segment.pk)  # an id alone: named anyway
    html = section(client, profile)
    assert details(html, "Segment") == ["VIP customers", "VIP customers"]
    assert f"<dd>{segment.pk}</dd>" not in html


def test_a_segment_of_another_database_is_not_named(client, profile):
    elsewhere = Segment.objects.create(name="Secret", database=ProfileDatabaseFactory())
    make_event(profile, "segment_entered", segment=elsewhere.pk)
    html = section(client, profile)
    assert details(html, "Segment") == [str(elsewhere.pk)]
    assert "Secret" not in html


def test_a_subscription_event_shows_the_contact_resource_and_channel_name(client, profile):
    website = ResourceFactory(name="Website")
    subscribe(profile, resource=website, channel=channel("email"), contact="ann@example.com")
    html = section(client, profile)
    assert shown(html) == ["subscribed"]
    assert details(html, "Subscription") == ["ann@example.com"]
    assert details(html, "Resource") == ["Website"]
    assert details(html, "Channel") == ["Email"]


def test_a_reported_event_naming_a_subscription_by_id_shows_its_contact(client, profile):
    subscription = SubscriptionFactory(
        profile=profile, resource=ResourceFactory(name="Shop"), contact="ann@shop.example"
    )
    make_event(profile, "open", subscription=subscription.public_id, mailing="Autumn")
    html = section(client, profile)
    assert details(html, "Subscription") == ["ann@shop.example"]
    assert details(html, "Resource") == ["Shop"]  # the event did not say it
    assert details(html, "Channel") == ["Email"]
    assert subscription.public_id not in html.split("Raw data")[0]


def test_another_profiles_subscription_is_not_named(client, profile):
    theirs = SubscriptionFactory(contact="someone@else.example")
    make_event(profile, "open", subscription=theirs.public_id)
    html = section(client, profile)
    assert details(html, "Subscription") == [theirs.public_id]
    assert "someone@else.example" not in html


def test_a_channel_is_shown_by_its_name(client, profile):
    make_event(profile, "send", channel="sms", mailing="Sale")
    make_event(profile, "send", channel="gone", mailing="Old")  # unknown: shown as given
    html = section(client, profile)
    assert sorted(details(html, "Channel")) == ["SMS", "gone"]


def test_a_page_of_named_events_costs_one_query_per_kind(
    client, database, profile, django_assert_max_num_queries
):
    resource = ResourceFactory(name="Website")
    segments = [Segment.objects.create(name=f"S{n}", database=database) for n in range(5)]
    for n, segment in enumerate(segments):
        subscription = SubscriptionFactory(profile=profile, resource=resource)
        make_event(profile, "open", subscription=subscription.public_id, channel="email")
        make_event(profile, "segment_entered", segment=segment.pk)
        make_event(profile, "send", channel="sms", mailing=f"M{n}")
    section(client, profile)  # warm up (session, permissions)
    with django_assert_max_num_queries(12):
        html = section(client, profile)
    assert len(shown(html)) == 15


# -- Times in the viewer's zone, one format ------------------------------------------------


def test_times_show_to_the_minute_in_the_cookies_zone_which_is_named(client, profile):
    make_event(profile, "open", when=datetime(2026, 12, 2, 7, 44, 30, tzinfo=UTC))
    client.cookies["tz"] = "Europe/Paris"
    html = section(client, profile, {"since": "2026-12-01", "until": "2026-12-03"})
    assert ">2026-12-02 08:44</time>" in html
    assert 'data-zone="Europe/Paris">Europe/Paris</span>' in html
    assert ">2026-12-02 08:44:30" not in html and "a.m." not in html


def test_custom_period_dates_are_read_in_the_viewers_zone(client, profile):
    # 16:30 on 16 January in UTC is already 17 January (01:30) in Tokyo.
    make_event(profile, "open", when=datetime(2026, 1, 16, 16, 30, tzinfo=UTC))
    params = {"period": "custom", "since": "2026-01-16", "until": "2026-01-16"}
    assert shown(section(client, profile, params)) == ["open"]
    client.cookies["tz"] = "Asia/Tokyo"
    assert shown(section(client, profile, params)) == []
    params = {"period": "custom", "since": "2026-01-17", "until": "2026-01-17"}
    html = section(client, profile, params)
    assert shown(html) == ["open"]
    assert ">2026-01-17 00:00</time>" in html and ">2026-01-17 23:59</time>" in html
    assert 'datetime="2026-01-17T00:00:00+09:00"' in html


def test_subscription_details_use_the_same_format_and_zone(client, bob, database):
    profile = ProfileFactory(database=database)
    SubscriptionFactory(
        profile=profile,
        contact="ann@example.com",
        reg_date=datetime(2026, 12, 2, 7, 44, tzinfo=UTC),
        created_at=datetime(2026, 12, 2, 7, 44, tzinfo=UTC),
    )
    client.cookies["tz"] = "Europe/Paris"
    url = f"/profiles/{profile.profile_id}/subscriptions/"
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="section").content.decode()
    assert "Dec. 2, 2026" not in html and "a.m." not in html
    assert '<time datetime="2026-12-02T08:44:00+01:00" data-zone="Europe/Paris">' in html
    assert html.count(">2026-12-02 08:44</time>") >= 1
    assert 'data-zone="Europe/Paris">Europe/Paris</span>' in html
