"""Pages and the API read outside a transaction and write inside one (core/transactions.py).

Inside a test's own transaction, the request's transaction shows as a savepoint.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from core.transactions import atomic_unless_safe
from profiles.models import ProfileDatabase
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def transactions(queries):
    return [q["sql"] for q in queries if q["sql"].startswith(("SAVEPOINT", "BEGIN"))]


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/profiles/", "/api/v1/profiles/{profile_id}/"])
def test_an_api_read_opens_no_transaction(as_alice, database, url):
    profile = ProfileFactory(database=database)
    with CaptureQueriesContext(connection) as queries:
        response = as_alice.get(url.format(profile_id=profile.profile_id))
    assert response.status_code == 200
    assert transactions(queries.captured_queries) == []


def test_an_api_write_runs_in_a_transaction(as_alice, database):
    with CaptureQueriesContext(connection) as queries:
        response = as_alice.post(
            "/api/v1/profiles/", {"database": database.pk, "email": "new@example.com"}
        )
    assert response.status_code == 201, response.content
    assert transactions(queries.captured_queries) != []


@pytest.mark.parametrize("page", ["/profiles/", "/profiles/{profile_id}/", "/admin/"])
def test_a_page_read_opens_no_transaction(client, alice, database, page):
    profile = ProfileFactory(database=database)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.format(profile_id=profile.profile_id))
    assert response.status_code == 200
    assert transactions(queries.captured_queries) == []


def test_a_page_write_runs_in_a_transaction(client, alice, database):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/profiles/new/",
            {"database": database.pk, "email": "new@example.com", "status": "subscribed"},
        )
    assert response.status_code == 302
    assert transactions(queries.captured_queries) != []


def _writes_then(error):
    @api_view(["GET", "POST"])
    @permission_classes([IsAuthenticated])
    def view(request):
        ProfileDatabase.objects.create(name="Written by the view")
        if error:
            raise error
        return Response({})

    return atomic_unless_safe(view)


@pytest.mark.parametrize(
    "error", [serializers.ValidationError({"name": ["Bad."]}), RuntimeError("crash")]
)
def test_a_write_that_fails_leaves_nothing(alice, error):
    request = APIRequestFactory().post("/", {})
    force_authenticate(request, alice)
    if isinstance(error, RuntimeError):
        with pytest.raises(RuntimeError):
            _writes_then(error)(request)
    else:
        # DRF answers the error itself: the transaction is still rolled back.
        assert _writes_then(error)(request).status_code == 400
    assert not ProfileDatabase.objects.filter(name="Written by the view").exists()


def test_a_write_that_succeeds_stays(alice):
    request = APIRequestFactory().post("/", {})
    force_authenticate(request, alice)
    assert _writes_then(None)(request).status_code == 200
    assert ProfileDatabase.objects.filter(name="Written by the view").exists()


def test_views_already_outside_a_transaction_stay_so():
    @api_view(["POST"])
    def view(request):
        return Response({})

    view._non_atomic_requests = {"default"}
    assert atomic_unless_safe(view) is view


def test_a_read_answered_with_an_error_leaves_the_enclosing_transaction_usable(as_alice):
    # DRF marks the transaction around an erring request for rollback; a read has none of
    # its own, and the test's (the one around it here) must stay usable.
    assert as_alice.get("/api/v1/profiles/nosuchprofile/").status_code == 404
    assert as_alice.get("/api/v1/profiles/?page_size=0").status_code == 400
    assert ProfileDatabase.objects.create(name="Still writable").pk
