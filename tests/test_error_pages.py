"""The 403, 404 and 500 pages: in the app's layout, with a way back (DEBUG is off here, as in
production); the API keeps answering JSON. And the favicon every page names."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import include, path

from config import views

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("Something broke in a view.")


def forbidden(request):
    raise PermissionDenied


# This module is the URLconf of the tests marked with it: the app's URLs plus two that fail.
urlpatterns = [
    path("boom/", boom),
    path("forbidden/", forbidden),
    path("", include("config.urls")),
]
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"


def assert_in_layout_with_a_way_back(html):
    assert '<header class="site-header">' in html
    assert 'href="/static/favicon.svg"' in html
    assert 'href="/profiles/"' in html and "Back to the profiles" in html


def test_a_missing_page_answers_the_404_page_in_the_layout(client, bob, settings):
    assert settings.DEBUG is False
    client.force_login(bob)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout_with_a_way_back(html)
    assert "Page not found" in html
    assert "bob" in html  # the header still knows who is signed in
    assert "Log in" not in html


def test_the_404_page_offers_to_log_in_to_a_visitor(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'href="/accounts/login/"' in response.content.decode()


def test_a_page_refused_answers_the_403_page_in_the_layout(client, charlie):
    client.force_login(charlie)
    response = client.get("/profiles/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout_with_a_way_back(html)
    assert "You may not open this page" in html
    assert "403 Forbidden" not in html


@pytest.mark.urls(__name__)
def test_a_permission_denied_anywhere_answers_the_403_page(client, charlie):
    client.force_login(charlie)
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "You may not open this page" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_server_error_answers_the_500_page_in_the_layout(client, bob):
    client.force_login(bob)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout_with_a_way_back(html)
    assert "Something went wrong" in html
    assert "RuntimeError" not in html


def test_the_500_page_renders_without_a_request_context():
    """Django renders it with an empty context: no user, no messages, no request."""
    response = views.server_error(RequestFactory().get("/profiles/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_api_still_answers_json_errors(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_every_page_names_the_favicon_and_it_is_served(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content).startswith(b"<svg")


def test_the_browsers_favicon_ico_request_leads_to_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
