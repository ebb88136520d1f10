"""The Data section's pixels part: goals reached with value, URL, referrer and the raw
pixel_data behind a </> toggle, escaped; as many queries whatever the history holds."""

import pytest
from django.urls import reverse

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


def data_url(profile):
    return reverse("profiles:data", args=[profile.profile_id])


def pixel_event(profile, **data):
    values = {"goal": "purchase", "value": 42.5, "url": "https://shop.example/checkout"}
    return EventFactory(profile=profile, type="pixel", data={**values, **data})


def test_it_shows_each_goal_with_its_value_url_referrer_and_raw_data(client, bob, profile):
    pixel_event(
        profile,
        referrer="https://news.example/story",
        pixel_data={"order": "<script>alert(1)</script>"},
    )
    client.force_login(bob)
    html = client.get(data_url(profile)).content.decode()
    part = html[html.index('id="part-pixels"') :]
    assert "purchase" in part and "42.5" in part
    assert "https://shop.example/checkout" in part and "https://news.example/story" in part
    assert "&lt;/&gt;</summary>" in part  # the </> toggle
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in part
    assert "<script>alert(1)" not in html
    assert "&quot;order&quot;" in part  # indented JSON, escaped


def test_a_goal_without_pixel_data_has_no_toggle(client, bob, profile):
    pixel_event(profile)
    client.force_login(bob)
    part = client.get(data_url(profile), **HTMX).content.decode()
    assert "purchase" in part and "&lt;/&gt;" not in part


def test_it_says_when_no_goal_was_reached(client, bob, profile):
    client.force_login(bob)
    assert "No pixel goals reached yet." in client.get(data_url(profile)).content.decode()


def test_the_part_reads_as_many_rows_whatever_the_history(
    client, bob, profile, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(data_url(profile), **HTMX)

    def queries():
        with django_assert_max_num_queries(60) as captured:
            assert client.get(data_url(profile), **HTMX).status_code == 200
        return len(captured)

    pixel_event(profile, pixel_data={"n": 0})
    few = queries()
    for n in range(30):
        pixel_event(profile, pixel_data={"n": n})
    html = client.get(data_url(profile), **HTMX).content.decode()
    assert html.count('<details class="pixel-raw">') == 20
    assert "The latest 20 are shown" in html
    assert queries() == few


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(1)", '"><script>alert(1)</script>', "/checkout", "https://shop/x"],
)
def test_a_reported_address_is_shown_escaped_and_never_a_script_link(client, bob, profile, address):
    pixel_event(profile, url=address, referrer=address)
    client.force_login(bob)
    html = client.get(data_url(profile)).content.decode()
    part = html[html.index('id="part-pixels"') :]
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert 'href="/checkout"' not in html and 'href="https://shop/x"' not in part
    escaped = address.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&quot;") in part
    history = client.get(reverse("history:profile", args=[profile.profile_id])).content.decode()
    assert "<script>alert(1)" not in history and 'href="javascript' not in history
    assert 'href="/checkout"' not in history  # only http(s) addresses are links
