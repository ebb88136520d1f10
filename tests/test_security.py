import pytest
from axes.models import AccessAttempt

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, password):
    return client.post(LOGIN, {"username": "bob", "password": password})


def test_it_locks_a_username_out_after_five_failed_logins(client, bob):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    assert attempt(client, "wrong").status_code == 429  # the fifth failure locks
    response = attempt(client, "correct horse battery staple")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="bob").failures_since_start >= 5


def test_it_lets_a_correct_password_in_before_the_limit(client, bob):
    for _ in range(4):
        attempt(client, "wrong")
    response = attempt(client, "correct horse battery staple")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_it_sends_security_headers_on_pages(client, bob):
    client.force_login(bob)
    response = client.get("/profiles/", secure=True)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url", ["/profiles/", "/api/v1/profiles/"])
def test_it_keeps_personal_data_out_of_caches(client, bob, url):
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_it_serves_the_api_docs_without_inline_scripts(client, charlie):
    client.force_login(charlie)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"<script>" not in response.content


def test_the_public_schema_documents_that_every_operation_needs_a_login(api_client):
    """The schema and docs are public (the contract's exception); the operations are not."""
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    operations = [
        (method, path, operation)
        for path, item in response.json()["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 20
    for method, path, operation in operations:
        security = operation.get("security", [])
        assert security and {} not in security, f"{method} {path} is documented as public"
