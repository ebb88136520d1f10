"""The profile list: rows, search, filters, pages, permissions, full page vs fragment."""

import pytest
from django.urls import reverse

from tests.factories import ProfileDatabaseFactory, ProfileFactory
from web.profiles.views.listing import PAGE_SIZE

pytestmark = pytest.mark.django_db
URL = reverse("profiles:list")


def emails(response):
    return [profile.email for profile in response.context["profiles"]]


def test_it_lists_only_the_profiles_of_the_users_databases(client, bob, database):
    mine = ProfileFactory(database=database, email="mine@example.com")
    ProfileFactory(email="theirs@example.com")
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    assert emails(response) == [mine.email]
    assert b"theirs@example.com" not in response.content
    assert b'<div id="results"' in response.content


def test_it_shows_name_email_phones_database_status_and_created(client, bob, database):
    ProfileFactory(
        database=database,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phones=["+12025550179"],
        status="unconfirmed",
    )
    client.force_login(bob)
    html = client.get(URL).content.decode()
    for text in ("Ada Lovelace", "ada@example.com", "+12025550179", "Customers", "Unconfirmed"):
        assert text in html
    assert 'class="badge status-unconfirmed"' in html


def test_it_shows_everything_to_a_superuser(client, alice):
    ProfileFactory.create_batch(2)
    client.force_login(alice)
    assert len(emails(client.get(URL))) == 2


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("+1 202 555 0179", "ada@example.com"),
        ("Grace Hopper", "grace@example.com"),
        ("hopper", "grace@example.com"),
    ],
)
def test_it_searches_by_email_phone_and_name(client, bob, database, search, expected):
    ProfileFactory(database=database, email="ada@example.com", phones=["+12025550179"])
    ProfileFactory(
        database=database, email="grace@example.com", first_name="Grace", last_name="Hopper"
    )
    client.force_login(bob)
    assert emails(client.get(URL, {"search": search})) == [expected]


def test_it_searches_by_profile_id(client, bob, database):
    wanted = ProfileFactory(database=database)
    ProfileFactory(database=database)
    client.force_login(bob)
    assert emails(client.get(URL, {"search": wanted.profile_id})) == [wanted.email]


def test_it_filters_by_database_and_status(client, alice, database):
    other = ProfileDatabaseFactory(name="Partners")
    ProfileFactory(database=database, email="a@example.com", status="subscribed")
    ProfileFactory(database=database, email="b@example.com", status="suspended")
    ProfileFactory(database=other, email="c@example.com", status="suspended")
    client.force_login(alice)
    assert emails(client.get(URL, {"database": other.pk})) == ["c@example.com"]
    assert sorted(emails(client.get(URL, {"status": "suspended"}))) == [
        "b@example.com",
        "c@example.com",
    ]
    response = client.get(URL, {"database": database.pk, "status": "suspended", "search": ""})
    assert emails(response) == ["b@example.com"]


def test_it_reports_a_filter_value_that_is_not_allowed(client, bob, database):
    ProfileFactory(database=database)
    foreign = ProfileDatabaseFactory()
    client.force_login(bob)
    response = client.get(URL, {"database": foreign.pk})
    assert response.status_code == 200
    assert emails(response) == []
    assert "Database:" in response.content.decode()


def test_it_pages_by_keyset_without_counting_the_table(client, bob, database):
    ProfileFactory.create_batch(PAGE_SIZE + 3, database=database)
    client.force_login(bob)
    first = client.get(URL)
    assert len(first.context["profiles"]) == PAGE_SIZE
    assert first.context["has_next"] is True
    html = first.content.decode()
    assert 'rel="next"' in html and 'rel="prev"' not in html
    second = client.get(URL, {"after": first.context["page"].last_cursor})
    assert len(second.context["profiles"]) == 3
    assert second.context["has_next"] is False
    assert not set(emails(first)) & set(emails(second))
    assert 'rel="prev"' in second.content.decode()


def test_it_keeps_the_filters_in_the_page_links(client, bob, database):
    ProfileFactory.create_batch(PAGE_SIZE + 1, database=database, status="suspended")
    client.force_login(bob)
    html = client.get(URL, {"status": "suspended"}).content.decode()
    assert "?status=suspended&amp;after=" in html


def test_it_answers_404_for_a_page_link_it_did_not_give(client, bob):
    client.force_login(bob)
    assert client.get(URL, {"after": "x"}).status_code == 404
    assert client.get(URL, {"before": "WyJhIl0"}).status_code == 404  # ["a"]: not an id


def test_it_answers_htmx_with_the_results_only(client, bob, database):
    ProfileFactory(database=database, email="ada@example.com")
    client.force_login(bob)
    response = client.get(URL, {"search": "ada"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert "ada@example.com" in html
    assert "<html" not in html and 'id="results"' not in html
    assert "HX-Request" in response["Vary"]


def test_it_answers_a_history_restore_with_the_full_page(client, bob):
    client.force_login(bob)
    response = client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_it_refuses_a_user_without_the_view_permission(client, charlie):
    client.force_login(charlie)
    assert client.get(URL).status_code == 403


def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_post(client, bob):
    client.force_login(bob)
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("rows", [5, 50])
def test_its_query_count_does_not_grow_with_the_rows(
    client, bob, database, django_assert_max_num_queries, rows
):
    for n in range(rows):
        ProfileFactory(database=database, phones=[f"+1202555{n:04d}"])
    client.force_login(bob)
    # Session, user, 2 permissions, the rows, the estimated total, databases, segments.
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"status": "subscribed"})
    assert len(response.context["profiles"]) == min(rows, PAGE_SIZE)
