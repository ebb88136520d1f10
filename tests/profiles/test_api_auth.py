import io

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = [
    "/api/v1/databases/",
    "/api/v1/custom-fields/",
    "/api/v1/profiles/",
]


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_it_refuses_anonymous_reads_of_every_list(api_client, url):
    response = api_client.get(url)
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_it_refuses_anonymous_access_to_a_profile_and_its_actions(api_client, profile):
    base = f"/api/v1/profiles/{profile.profile_id}/"
    assert api_client.get(base).status_code in (401, 403)
    assert api_client.patch(base, {"first_name": "X"}, format="json").status_code in (401, 403)
    assert api_client.delete(base).status_code in (401, 403)
    assert api_client.get(base + "export/").status_code in (401, 403)
    response = api_client.post(
        "/api/v1/profiles/import/",
        {"database": profile.database_id, "match": "email", "profiles": [{}]},
        format="json",
    )
    assert response.status_code in (401, 403)
    profile.refresh_from_db()
    assert profile.first_name != "X"


def test_it_refuses_anonymous_writes(api_client, database):
    response = api_client.post(
        "/api/v1/profiles/", {"database": database.pk, "email": "a@example.com"}, format="json"
    )
    assert response.status_code in (401, 403)
    assert not database.profiles.exists()


def test_it_answers_401_with_a_token_challenge(api_client):
    response = api_client.get("/api/v1/profiles/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_it_accepts_a_token(api_client, bob, profile):
    token = Token.objects.create(user=bob)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get(f"/api/v1/profiles/{profile.profile_id}/")
    assert response.status_code == 200
    assert response.json()["profile_id"] == profile.profile_id


def test_it_rejects_a_wrong_token(api_client, bob):
    Token.objects.create(user=bob)
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api_client.get("/api/v1/profiles/").status_code == 401


def test_drf_create_token_makes_a_working_key(api_client, bob, profile):
    out = io.StringIO()
    call_command("drf_create_token", "bob", stdout=out)
    key = Token.objects.get(user=bob).key
    assert key in out.getvalue()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/profiles/").status_code == 200


def test_it_accepts_a_session(api_client, bob, profile):
    api_client.force_login(bob)
    assert api_client.get(f"/api/v1/profiles/{profile.profile_id}/").status_code == 200


def test_a_user_without_profile_permissions_gets_403(api_client, charlie, profile):
    api_client.force_authenticate(charlie)
    assert api_client.get("/api/v1/profiles/").status_code == 403
    assert api_client.get(f"/api/v1/profiles/{profile.profile_id}/").status_code == 403
    assert api_client.get("/api/v1/databases/").status_code == 403


def test_the_schema_is_served_without_authentication(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/databases/",
        "/api/v1/custom-fields/",
        "/api/v1/profiles/",
        "/api/v1/profiles/{profile_id}/",
        "/api/v1/profiles/import/",
        "/api/v1/profiles/{profile_id}/export/",
    ):
        assert path in paths
    profile_schema = schema["components"]["schemas"]["Profile"]["properties"]
    assert profile_schema["fields"]["type"] == "object"
    assert profile_schema["phones"]["type"] == "array"
    assert "custom_values" not in profile_schema


def test_the_docs_page_works_without_authentication_or_network(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html and "unpkg" not in html


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/profiles/import/" in target.read_text()
