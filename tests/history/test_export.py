import csv
import io
import json

import pytest
from django.test import Client

from tests.history.factories import make_event
from web.history import views

pytestmark = pytest.mark.django_db


def url(profile, fmt):
    return f"/profiles/{profile.profile_id}/history/export.{fmt}"


def body(response):
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def client(client, bob):
    client.force_login(bob)
    return client


def test_it_streams_the_periods_events_as_csv(client, profile, ago):
    make_event(profile, "send", when=ago(days=8))
    sent = make_event(profile, "send", when=ago(days=2), mailing="Autumn", channel="email")
    clicked = make_event(profile, "click", when=ago(days=1), url="https://shop.example/")
    response = client.get(url(profile, "csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [int(row["id"]) for row in rows] == [clicked.pk, sent.pk]
    assert rows[0]["url"] == "https://shop.example/" and rows[0]["label"] == "Clicked a link"
    assert rows[1]["mailing"] == "Autumn" and rows[1]["channel"] == "email"
    assert json.loads(rows[1]["data"]) == {"mailing": "Autumn", "channel": "email"}


def test_it_exports_the_filtered_period_and_types(client, profile, ago):
    old = make_event(profile, "send", when=ago(days=8))
    make_event(profile, "open", when=ago(days=9))
    response = client.get(url(profile, "csv"), {"period": "30", "type": "send"})
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [int(row["id"]) for row in rows] == [old.pk]


def test_it_neutralises_cells_a_spreadsheet_would_run(client, profile, ago):
    payloads = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok"]
    for n, text in enumerate(payloads):
        make_event(profile, "send", when=ago(minutes=n + 1), mailing=text)
    rows = list(csv.DictReader(io.StringIO(body(client.get(url(profile, "csv"))))))
    assert [row["mailing"] for row in rows] == ["'" + text for text in payloads[:-1]] + ["ok"]


def test_it_streams_json_with_the_period(client, profile, ago):
    sent = make_event(profile, "send", when=ago(days=2), mailing="Autumn")
    clicked = make_event(profile, "click", when=ago(days=1), url="https://shop.example/")
    response = client.get(url(profile, "json"))
    assert response["Content-Type"] == "application/json"
    document = json.loads(body(response))
    assert document["profile_id"] == profile.profile_id
    assert document["since"] and document["until"] is None
    assert [event["id"] for event in document["events"]] == [clicked.pk, sent.pk]
    assert document["events"][1]["data"] == {"mailing": "Autumn"}
    assert document["events"][0]["type"] == "click"


def test_an_empty_period_is_valid_json_and_a_csv_header(client, profile):
    assert json.loads(body(client.get(url(profile, "json"))))["events"] == []
    assert body(client.get(url(profile, "csv"))).strip() == ",".join(views.EXPORT_COLUMNS)


def test_it_reads_the_events_in_keyset_chunks(
    client, profile, ago, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "EXPORT_CHUNK", 3)
    events = [make_event(profile, "open", when=ago(minutes=n + 1)) for n in range(10)]
    with django_assert_max_num_queries(12):
        document = json.loads(body(client.get(url(profile, "json"))))
    assert [event["id"] for event in document["events"]] == [e.pk for e in events]


def test_it_rejects_a_bad_filter_naming_the_parameter(client, profile):
    response = client.get(url(profile, "csv"), {"since": "soon"})
    assert response.status_code == 400
    assert "since" in response.content.decode()


def test_it_answers_404_for_an_unknown_format(client, profile):
    assert client.get(url(profile, "xlsx")).status_code == 404


def test_it_needs_the_export_permission(client, viewer, profile):
    client.force_login(viewer)
    assert client.get(url(profile, "csv")).status_code == 403


def test_charlie_gets_403_and_an_outsider_404(client, charlie, olga, profile):
    client.force_login(charlie)
    assert client.get(url(profile, "json")).status_code == 403
    client.force_login(olga)
    assert client.get(url(profile, "json")).status_code == 404


def test_anonymous_users_are_sent_to_log_in(profile):
    response = Client().get(url(profile, "csv"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
