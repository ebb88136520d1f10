"""The API's token authentication answers as DRF's does: the same user, the same token,
the same refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.api.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def test_a_token_gives_its_user_and_itself_as_drfs_lookup_does(bob):
    token = Token.objects.create(user=bob)
    user, found = TokenAuthentication().authenticate_credentials(token.key)
    expected, expected_token = authentication.TokenAuthentication().authenticate_credentials(
        token.key
    )
    assert user == expected == bob
    for field in type(bob)._meta.concrete_fields:
        mine, drfs = getattr(user, field.attname), getattr(expected, field.attname)
        assert mine == drfs and type(mine) is type(drfs), field.name
    assert (found.key, found.user_id, found.created) == (
        expected_token.key,
        expected_token.user_id,
        expected_token.created,
    )
    assert found.user is user and not found._state.adding


def test_an_unknown_key_and_an_inactive_user_are_refused_with_drfs_messages(bob):
    token = Token.objects.create(user=bob)
    with pytest.raises(exceptions.AuthenticationFailed, match="Invalid token"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    bob.is_active = False
    bob.save()
    with pytest.raises(exceptions.AuthenticationFailed, match="User inactive or deleted"):
        TokenAuthentication().authenticate_credentials(token.key)


def test_an_inactive_users_token_answers_401(api_client, bob):
    token = Token.objects.create(user=bob)
    bob.is_active = False
    bob.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/v1/profiles/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_the_api_reads_a_token_with_the_one_plain_query(api_client, bob):
    token = Token.objects.create(user=bob)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get("/api/v1/").status_code == 200
    token_reads = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"]]
    assert len(token_reads) == 1
    plain = connection.vendor == "postgresql"
    assert ('"authtoken_token" AS t' in token_reads[0]) is plain
