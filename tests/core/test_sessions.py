"""A person's session and its user are read by one plain statement on PostgreSQL
(web.accounts.sessions, core.auth): the same session, the same user, the same refusals as
Django's own reads (SQLite runs Django's)."""

from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db as django_db
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.auth import ModelBackend
from web.accounts.sessions import SessionStore
from web.models import Session

pytestmark = pytest.mark.django_db
PASSWORD = "a long and good password"


class DjangosStore(django_db.SessionStore):
    """Django's own reads (the ORM's) of the same table."""

    key_salt = "django.contrib.sessions.SessionStore"  # as any class of that name signs

    @classmethod
    def get_model_class(cls):
        return Session


@pytest.fixture
def logged_in(client, bob):
    bob.set_password(PASSWORD)
    bob.save()
    assert client.login(username="bob", password=PASSWORD)
    return client


def test_a_session_reads_back_what_djangos_store_reads(logged_in):
    key = logged_in.session.session_key
    mine, djangos = SessionStore(key), DjangosStore(key)
    assert mine.load() == djangos.load() != {}
    stored = mine._get_session_from_db()
    expected = Session.objects.get(session_key=key)
    assert (stored.session_key, stored.session_data, stored.expire_date, stored.user_id) == (
        expected.session_key,
        expected.session_data,
        expected.expire_date,
        expected.user_id,
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


def test_a_session_keeps_the_user_it_is_signed_in_as(logged_in, bob):
    assert Session.objects.get(session_key=logged_in.session.session_key).user == bob
    before_login = SessionStore()
    before_login["seen"] = True
    before_login.save()
    assert Session.objects.get(session_key=before_login.session_key).user is None
    assert SessionStore(before_login.session_key).signed_in_user is None


def test_the_user_read_with_the_session_is_the_one_djangos_backend_reads(logged_in, bob):
    user = SessionStore(logged_in.session.session_key).signed_in_user
    if connection.vendor != "postgresql":
        assert user is None  # Django's reads: the user comes by its own query
        return
    djangos = backends.ModelBackend().get_user(bob.pk)
    assert user == djangos
    for field in get_user_model()._meta.concrete_fields:
        value, expected = getattr(user, field.attname), getattr(djangos, field.attname)
        assert value == expected and type(value) is type(expected), field.name


def test_a_request_reads_the_session_with_its_user(logged_in):
    with CaptureQueriesContext(connection) as queries:
        assert logged_in.get("/api/v1/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("web_session" in q for q in sql) == 1
    if connection.vendor == "postgresql":
        (session,) = (q for q in sql if "web_session" in q)
        assert 'LEFT JOIN "auth_user" AS u' in session
        assert not any('FROM "auth_user"' in q for q in sql)  # no second read of the user
    else:
        assert sum('FROM "auth_user"' in q for q in sql) == 1


def test_a_session_row_naming_another_user_does_not_sign_its_data_in_as_them(logged_in, bob, alice):
    Session.objects.filter(session_key=logged_in.session.session_key).update(user=alice)
    with CaptureQueriesContext(connection) as queries:
        response = logged_in.get("/api/v1/profiles/")
    assert response.status_code == 200
    assert response.wsgi_request.user == bob  # the signed data's user, read on its own
    assert any('FROM "auth_user"' in q["sql"] for q in queries.captured_queries)


def test_deleting_a_user_ends_their_sessions(logged_in, bob):
    bob.delete()
    assert not Session.objects.exists()
    assert logged_in.get("/api/v1/").status_code == 401


def test_the_migration_moves_djangos_sessions_with_their_users(bob, alice, monkeypatch):
    from django.apps import apps
    from django.contrib.sessions.models import Session as DjangosSession

    moving = import_module("web.migrations.0002_sessions_from_django")
    monkeypatch.setattr(moving, "CHUNK", 2)  # the five sessions in three chunks
    encode = SessionStore().encode
    later, earlier = timezone.now() + timedelta(days=1), timezone.now() - timedelta(days=1)
    gone = get_user_model().objects.create(username="gone")
    rows = {
        "bob": ({"_auth_user_id": str(bob.pk)}, later),
        "nobody": ({"seen": True}, later),
        "expired": ({"_auth_user_id": str(alice.pk)}, earlier),
        "gone": ({"_auth_user_id": str(gone.pk)}, later),
        "garbled": (None, later),
    }
    for key, (data, expires) in rows.items():
        DjangosSession.objects.create(
            session_key=key.ljust(32, "x"),
            session_data="not signed data" if data is None else encode(data),
            expire_date=expires,
        )
    gone.delete()

    moving.move(apps, SimpleNamespace(connection=connection))  # all it reads of the editor

    moved = {s.session_key.rstrip("x"): s.user_id for s in Session.objects.all()}
    assert moved == {"bob": bob.pk, "nobody": None, "garbled": None}
    assert not DjangosSession.objects.exists()
    assert SessionStore("bob".ljust(32, "x")).load() == {"_auth_user_id": str(bob.pk)}
