"""A person's session and its user are read by one plain statement each on PostgreSQL
(core.sessions, core.auth): the same session, the same user, the same refusals as
Django's own reads (SQLite runs Django's)."""

from datetime import timedelta

import pytest
from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.auth import ModelBackend
from core.sessions import SessionStore

pytestmark = pytest.mark.django_db
PASSWORD = "a long and good password"


@pytest.fixture
def logged_in(client, bob):
    bob.set_password(PASSWORD)
    bob.save()
    assert client.login(username="bob", password=PASSWORD)
    return client


def test_a_session_reads_back_what_djangos_store_reads(logged_in):
    key = logged_in.session.session_key
    mine, djangos = SessionStore(key), django_db.SessionStore(key)
    assert mine.load() == djangos.load() != {}
    stored = mine._get_session_from_db()
    expected = Session.objects.get(session_key=key)
    assert (stored.session_key, stored.session_data, stored.expire_date) == (
        expected.session_key,
        expected.session_data,
        expected.expire_date,
    )


def test_an_expired_or_unknown_session_starts_a_new_one(logged_in):
    key = logged_in.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("x" * 32).load() == {}
    assert logged_in.get("/profiles/").status_code == 302  # to the login page


def test_the_user_is_the_one_djangos_backend_reads(bob):
    bob.last_login = timezone.now()
    bob.save()
    mine, djangos = ModelBackend().get_user(str(bob.pk)), backends.ModelBackend().get_user(bob.pk)
    assert mine == djangos == bob
    for field in get_user_model()._meta.concrete_fields:
        value, expected = getattr(mine, field.attname), getattr(djangos, field.attname)
        assert value == expected and type(value) is type(expected), field.name
    assert not mine._state.adding


def test_an_unknown_inactive_or_malformed_user_is_none(bob):
    assert ModelBackend().get_user(bob.pk + 1000) is None
    assert ModelBackend().get_user("not a number") is None
    bob.is_active = False
    bob.save()
    assert ModelBackend().get_user(bob.pk) is None


def test_a_user_made_inactive_or_given_a_new_password_is_logged_out(logged_in, bob):
    assert logged_in.get("/api/v1/").status_code == 200
    bob.set_password("another long and good password")
    bob.save()
    assert logged_in.get("/api/v1/").status_code == 401
    assert logged_in.login(username="bob", password="another long and good password")
    bob.is_active = False
    bob.save()
    assert logged_in.get("/api/v1/").status_code == 401


def test_a_request_reads_the_session_and_its_user_once_each(logged_in):
    with CaptureQueriesContext(connection) as queries:
        assert logged_in.get("/api/v1/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("django_session" in q for q in sql) == 1
    assert sum('FROM "auth_user"' in q for q in sql) == 1
    plain = connection.vendor == "postgresql"
    assert any('"auth_user" AS u' in q for q in sql) is plain
