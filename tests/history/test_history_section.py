import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from operations.triggers import send_trigger
from tests.history.factories import make_event
from tests.interactions.factories import TriggerFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(profile):
    return f"/profiles/{profile.profile_id}/history/"


def section(client, profile, params=None, target="section"):
    response = client.get(url(profile), params or {}, **HTMX, HTTP_HX_TARGET=target)
    assert response.status_code == 200, response.content
    return response.content.decode()


def shown(html):
    """Return the event types of the rows shown, in order."""
    return re.findall(r'<tr class="history-event" data-type="([a-z_]+)"', html)


@pytest.fixture
def client(client, bob):
    client.force_login(bob)
    return client


def test_it_shows_the_last_7_days_by_default(client, profile, ago):
    make_event(profile, "send", when=ago(days=8))
    make_event(profile, "open", when=ago(days=2))
    make_event(profile, "click", when=ago(hours=1), url="https://shop.example/item")
    html = section(client, profile)
    assert shown(html) == ["click", "open"]
    assert '<option value="7" selected>' in html
    assert "Clicked a link" in html and "Opened" in html
    assert 'href="https://shop.example/item"' in html


def test_a_send_that_did_not_go_out_reads_not_sent_with_its_reason(client, profile):
    trigger = TriggerFactory(database=profile.database, name="We miss you")
    send_trigger(trigger, profile, source="ui")  # the profile has no subscription

    html = section(client, profile)

    assert shown(html) == ["send"]
    label = re.search(r'<span class="history-label">([^<]*)</span>', html)[1]
    assert label == "Not sent"
    assert "<dt>Reason</dt><dd>No subscription is subscribed.</dd>" in html


def test_a_wider_period_shows_the_8_day_old_event(client, profile, ago):
    make_event(profile, "send", when=ago(days=8))
    make_event(profile, "open", when=ago(days=40))
    assert shown(section(client, profile, {"period": "30"})) == ["send"]
    assert shown(section(client, profile, {"period": "90"})) == ["send", "open"]


def test_a_custom_range_of_days_includes_both_days(client, profile):
    now = timezone.now()
    day = (now - timedelta(days=20)).date()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    make_event(profile, "send", when=start - timedelta(seconds=1))
    make_event(profile, "open", when=start)
    make_event(profile, "read", when=start + timedelta(days=1, hours=23, minutes=59))
    make_event(profile, "click", when=start + timedelta(days=2), url="https://a.example/")
    params = {"period": "custom", "since": day.isoformat(), "until": str(day + timedelta(days=1))}
    html = section(client, profile, params)
    assert shown(html) == ["read", "open"]
    assert '<option value="custom" selected>' in html
    assert f'name="since" value="{day.isoformat()}"' in html


def test_it_filters_by_several_types(client, profile, ago):
    make_event(profile, "send", when=ago(hours=3))
    make_event(profile, "open", when=ago(hours=2))
    make_event(profile, "click", when=ago(hours=1), url="https://a.example/")
    html = section(client, profile, {"type": ["send", "click"]})
    assert shown(html) == ["click", "send"]
    assert 'value="send" checked' in html and 'value="click" checked' in html
    assert 'value="open" checked' not in html


def test_the_type_picker_is_grouped(client, profile):
    html = section(client, profile)
    assert '<fieldset class="history-type-group" data-group="mailing">' in html
    assert "<legend>Mailings</legend>" in html and "<legend>Promo codes</legend>" in html


def test_reset_leads_back_to_the_plain_url(client, profile):
    html = section(client, profile, {"type": "click", "period": "90"})
    reset = re.search(r'<a class="history-reset" href="([^"]+)" hx-get="([^"]+)"', html)
    assert reset.groups() == (url(profile), url(profile))
    assert '<option value="7" selected>' in section(client, profile)


def test_it_shows_bad_filter_values_as_errors(client, profile):
    html = section(client, profile, {"period": "custom", "since": "someday"})
    assert '<div class="form-error" role="alert">' in html
    assert "<p><strong>From</strong>: " in html  # by the form's label
    assert shown(html) == []
    reversed_range = {"period": "custom", "since": "2026-01-16", "until": "2026-01-15"}
    html = section(client, profile, reversed_range, target="history-results")
    assert "<p><strong>To</strong>: The end of the period is before its start.</p>" in html


def test_the_results_alone_answer_a_filter_change(client, profile, ago):
    make_event(profile, "open", when=ago(hours=1))
    html = section(client, profile, {"type": "open"}, target="history-results")
    assert html.lstrip().startswith('<div id="history-results"')
    assert shown(html) == ["open"]
    assert "<form" not in html


def test_load_more_adds_the_next_rows(client, profile, ago):
    events = [make_event(profile, "open", when=ago(minutes=n + 1)) for n in range(55)]
    html = section(client, profile)
    assert len(shown(html)) == 50
    more = re.search(r'<tr id="history-more">.*?hx-get="([^"]+)"', html, re.S).group(1)
    response = client.get(more.replace("&amp;", "&"), **HTMX, HTTP_HX_TARGET="history-more")
    rows = response.content.decode()
    assert len(shown(rows)) == 5 and "history-more" not in rows
    for event in events[50:]:
        assert f'datetime="{event.occurred_at.isoformat()}"' in rows
    assert rows.count("<tr") == 5


def test_the_full_page_shows_the_history_section(client, profile, ago):
    make_event(profile, "open", when=ago(hours=1))
    response = client.get(url(profile), {"type": "open"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="section">' in html and "history-filter" in html
    assert shown(html) == ["open"]


def test_a_history_restore_gets_the_full_page(client, profile):
    response = client.get(
        url(profile), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_times_show_in_the_browsers_zone_from_its_cookie(client, profile):
    moment = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    make_event(profile, "open", when=moment)
    params = {"since": "2026-01-15T00:00:00Z", "until": "2026-01-16T00:00:00Z"}
    client.cookies["tz"] = "Asia/Tokyo"
    html = section(client, profile, params)
    assert '<time datetime="2026-01-15T21:00:00+09:00" data-zone="Asia/Tokyo">' in html
    assert "2026-01-15 21:00<" in html
    client.cookies["tz"] = "Not/AZone"
    html = section(client, profile, params)
    assert "2026-01-15 12:00<" in html and 'data-zone="UTC"' in html


def test_a_row_shows_the_key_data_and_the_raw_data(client, profile, ago):
    make_event(
        profile,
        "send",
        when=ago(hours=1),
        mailing="Autumn <sale>",
        resource="Website",
        channel="email",
    )
    html = section(client, profile)
    assert "<dt>Mailing</dt><dd>Autumn &lt;sale&gt;</dd>" in html
    assert "<dt>Channel</dt><dd>Email</dd>" in html
    assert '<details class="history-raw"><summary>Raw data</summary>' in html
    assert "&quot;mailing&quot;: &quot;Autumn &lt;sale&gt;&quot;" in html


def test_a_url_that_is_not_http_is_not_a_link(client, profile, ago):
    make_event(profile, "click", when=ago(hours=1), url="javascript:alert(1)")
    html = section(client, profile)
    assert 'href="javascript' not in html
    assert "<dd>javascript:alert(1)</dd>" in html


def test_export_links_follow_the_filter(client, profile):
    html = section(client, profile, {"type": "click", "period": "30"})
    assert f"/profiles/{profile.profile_id}/history/export.csv?type=click&amp;period=30" in html
    assert f"/profiles/{profile.profile_id}/history/export.json?" in html


def test_export_links_are_hidden_without_the_permission(client, viewer, profile):
    client.force_login(viewer)
    assert "export.csv" not in section(client, profile)


def test_the_page_uses_no_inline_script_or_style(client, profile, ago):
    make_event(profile, "open", when=ago(hours=1))
    html = section(client, profile)
    assert "<script" not in html and "style=" not in html and "<style" not in html
    # history.js comes with every page: htmx runs no scripts of a fragment it swaps in.
    full_page = client.get(url(profile)).content.decode()
    assert '<script src="/static/js/history.js" defer></script>' in full_page


def test_it_reads_a_page_in_a_constant_number_of_queries(
    client, profile, ago, django_assert_max_num_queries
):
    make_event(profile, "open", when=ago(hours=1))
    with django_assert_max_num_queries(20) as few:
        section(client, profile)
    for n in range(120):
        make_event(profile, "click", when=ago(minutes=n + 2), url="https://a.example/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        section(client, profile)


def test_anonymous_users_are_sent_to_log_in(db, profile):
    from django.test import Client

    response = Client().get(url(profile))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_without_the_permission_gets_403(client, charlie, profile):
    client.force_login(charlie)
    assert client.get(url(profile)).status_code == 403


def test_an_outsider_gets_404(client, olga, profile):
    client.force_login(olga)
    assert client.get(url(profile)).status_code == 404


def test_it_rejects_a_post(client, profile):
    assert client.post(url(profile)).status_code == 405
