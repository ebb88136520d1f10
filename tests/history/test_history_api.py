from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.history.factories import make_event

pytestmark = pytest.mark.django_db


def url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/history/"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


def test_it_lists_the_last_7_days_newest_first_by_default(client, profile, ago):
    old = make_event(profile, when=ago(days=8))
    older_recent = make_event(profile, when=ago(days=6, hours=23))
    newest = make_event(profile, "click", when=ago(minutes=1), url="https://example.com/")
    response = client.get(url(profile))
    assert ids(response) == [newest.pk, older_recent.pk]
    assert old.pk not in ids(response)
    first = response.json()["results"][0]
    assert first["type"] == "click"
    assert first["data"] == {"url": "https://example.com/"}
    assert first["occurred_at"].endswith("Z")
    assert response.json()["next"] is None


def test_it_shows_an_8_day_old_event_with_a_wider_period(client, profile, ago):
    old = make_event(profile, when=ago(days=8))
    assert ids(client.get(url(profile), {"period": "30"})) == [old.pk]
    since = ago(days=9).isoformat()
    assert ids(client.get(url(profile), {"since": since})) == [old.pk]


def test_it_filters_by_types_repeated_or_comma_separated(client, profile, ago):
    opened = make_event(profile, "open", when=ago(hours=3))
    clicked = make_event(profile, "click", when=ago(hours=2), url="https://example.com/")
    make_event(profile, "send", when=ago(hours=1))
    assert ids(client.get(url(profile), {"type": "click"})) == [clicked.pk]
    assert ids(client.get(url(profile), {"type": ["click", "open"]})) == [clicked.pk, opened.pk]
    assert ids(client.get(url(profile), {"type": "open,click"})) == [clicked.pk, opened.pk]


def test_it_rejects_an_unknown_type_naming_the_parameter(client, profile):
    response = client.get(url(profile), {"type": "open,teleport"})
    assert response.status_code == 400
    assert "type" in response.json()


def test_it_keeps_since_and_until_inclusive(client, profile, ago):
    before = make_event(profile, when=ago(days=20, seconds=1))
    at_since = make_event(profile, when=ago(days=20))
    inside = make_event(profile, when=ago(days=15))
    at_until = make_event(profile, when=ago(days=10))
    after = make_event(profile, when=ago(days=10) + timezone.timedelta(microseconds=1))
    response = client.get(
        url(profile),
        {"since": at_since.occurred_at.isoformat(), "until": at_until.occurred_at.isoformat()},
    )
    assert ids(response) == [at_until.pk, inside.pk, at_since.pk]
    assert before.pk not in ids(response) and after.pk not in ids(response)


def test_it_reads_an_rfc3339_offset_and_a_z(client, profile, ago):
    event = make_event(profile, when=ago(days=3))
    moment = event.occurred_at.astimezone(timezone.get_fixed_timezone(120))
    exact = moment.isoformat()
    assert ids(client.get(url(profile), {"since": exact, "until": exact})) == [event.pk]
    z = event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert ids(client.get(url(profile), {"since": z, "until": z})) == [event.pk]


def test_until_alone_means_the_7_days_before_it(client, profile, ago):
    eight_days = make_event(profile, when=ago(days=8))
    make_event(profile, when=ago(days=20))
    make_event(profile, when=ago(days=1))
    response = client.get(url(profile), {"until": ago(days=7).isoformat()})
    assert ids(response) == [eight_days.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30T00:00:00Z"}, "until"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"period": "365"}, "period"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
    ],
)
def test_it_rejects_bad_parameters_naming_them(client, profile, params, field):
    response = client.get(url(profile), params)
    assert response.status_code == 400
    assert field in response.json()


def test_it_pages_with_a_cursor_without_gaps_or_repeats(client, profile, ago):
    moment = ago(hours=1)
    # Five events share one instant: the cursor breaks ties on id.
    events = [make_event(profile, when=moment) for _ in range(5)]
    events += [make_event(profile, when=ago(hours=2 + n)) for n in range(6)]
    expected = [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]
    seen, next_url = [], url(profile) + "?page_size=3"
    while next_url:
        response = client.get(next_url)
        seen += ids(response)
        next_url = response.json()["next"]
    assert seen == expected


def test_paging_stays_stable_while_events_are_recorded(client, profile, ago):
    events = [make_event(profile, when=ago(hours=n)) for n in range(1, 7)]
    first = client.get(url(profile), {"page_size": 3})
    assert ids(first) == [e.pk for e in events[:3]]
    # New events arrive between two page reads: newer ones, and one at the cursor's instant.
    make_event(profile, when=ago(minutes=1))
    make_event(profile, when=events[2].occurred_at)
    second = client.get(first.json()["next"])
    assert ids(second) == [e.pk for e in events[3:]]


def test_the_next_link_keeps_the_filter_and_pins_the_period(client, profile, ago):
    for n in range(3):
        make_event(profile, "click", when=ago(days=20 + n), url="https://example.com/")
    response = client.get(url(profile), {"type": "click", "period": "30", "page_size": 2})
    query = parse_qs(urlsplit(response.json()["next"]).query)
    assert query["type"] == ["click"]
    assert "period" not in query and query["since"] and query["cursor"]
    assert len(ids(client.get(response.json()["next"]))) == 1


def test_it_never_shows_another_profiles_events(client, profile, database):
    from tests.factories import ProfileFactory

    other = ProfileFactory(database=database)
    make_event(other)
    assert ids(client.get(url(profile))) == []


def test_it_reads_a_page_in_a_constant_number_of_queries(
    client, profile, ago, django_assert_max_num_queries
):
    for n in range(60):
        make_event(profile, when=ago(minutes=n + 1))
    with django_assert_max_num_queries(6) as few:
        client.get(url(profile), {"page_size": 10})
    for n in range(60, 300):
        make_event(profile, when=ago(minutes=n + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(profile), {"page_size": 100})


def test_it_answers_401_to_anonymous_requests(api_client, profile):
    assert api_client.get(url(profile)).status_code in (401, 403)
    assert api_client.get(url(profile)).status_code == 401


def test_it_answers_403_to_a_user_without_the_permission(api_client, charlie, profile):
    api_client.force_authenticate(charlie)
    assert api_client.get(url(profile)).status_code == 403


def test_it_answers_404_for_a_database_the_user_may_not_see(api_client, olga, profile):
    api_client.force_authenticate(olga)
    assert api_client.get(url(profile)).status_code == 404


def test_it_answers_404_for_an_unknown_profile(client):
    assert client.get("/api/v1/profiles/ffffffffffffffffffffffff/history/").status_code == 404


def test_it_works_with_a_token(api_client, bob, profile):
    from rest_framework.authtoken.models import Token

    event = make_event(profile)
    token = Token.objects.create(user=bob)
    response = api_client.get(url(profile), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ids(response) == [event.pk]
