"""The API's root, /api/v1/: each collection's URL, as JSON or in the browsable API."""

import pytest
from django.test.utils import override_script_prefix

pytestmark = pytest.mark.django_db


def test_it_lists_each_collection_as_json(as_bob):
    response = as_bob.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    links = response.json()
    assert links["profiles"] == "http://testserver/api/v1/profiles/"
    assert links["databases"] == "http://testserver/api/v1/databases/"
    assert links["custom-fields"] == "http://testserver/api/v1/custom-fields/"
    assert links["events"] == "http://testserver/api/v1/events/"
    assert links["jobs"] == "http://testserver/api/v1/jobs/"
    assert links["docs"] == "http://testserver/api/v1/docs/"
    # Only collections: no URL that needs an object's id.
    assert all("{" not in url and "<" not in url for url in links.values())
    assert all(not key.startswith("^") and not key.endswith("/") for key in links)


def test_every_link_answers(as_alice):
    links = as_alice.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    for name, url in links.items():
        response = as_alice.get(url)
        if response.status_code == 405:  # a collection one only adds to (events, exports)
            assert "POST" in response["Allow"], name
        else:
            assert response.status_code == 200, name


def test_it_is_the_browsable_apis_home_page(client, bob):
    client.force_login(bob)
    response = client.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Profiles API \N{EN DASH} Profiles API</title>" in html
    assert "http://testserver/api/v1/profiles/" in html
    assert 'href="/"' in html  # back to the app


def test_it_needs_a_signed_in_user(api_client):
    response = api_client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401


def test_it_is_not_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/" not in schema["paths"]
    assert "/api/v1/profiles/{profile_id}/avatar/" in schema["paths"]


def test_links_follow_the_prefix_the_app_is_served_at(as_bob):
    # Behind a proxy serving the app under /crm/ (SCRIPT_NAME), each link carries it; the
    # links are made once per process, for each prefix.
    with override_script_prefix("/crm/"):
        links = as_bob.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert links["profiles"] == "http://testserver/crm/api/v1/profiles/"
    plain = as_bob.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert plain["profiles"] == "http://testserver/api/v1/profiles/"
