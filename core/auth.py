"""Reading the user of a request in one plain query, or with its session.

Every request a person makes reads its session's user (Django's ``ModelBackend.get_user``),
and every request an integration makes reads its token's user: building those queries
through the ORM costs more than running them (on PostgreSQL about 1 ms of a 3.5 ms API
request, against 0.3 for the statement). Here the statement is written once per database
and the user is made from its row as the ORM makes it (``Model.from_db``). A session store
that reads its user with the session's row (``web.accounts.sessions``) saves that query as
well: ``AuthenticationMiddleware`` hands that user to Django's ``get_user``. PostgreSQL
only: its driver returns each column as the field holds it (SQLite hands times back as text
and booleans as numbers, which the ORM converts: there the ORM's query runs).
"""

from contextvars import ContextVar
from functools import cache

from django.contrib import auth
from django.contrib.auth import backends, get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils.functional import SimpleLazyObject


def reads_plainly(alias):
    """Whether rows read by a plain statement on this database come back as the fields
    hold them."""
    return connections[alias].vendor == "postgresql"


def fetch_row(alias, statement, params):
    """Run a plain statement on the database ``alias``; return its first row or None."""
    with connections[alias].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()


def user_pk(value):
    """The user id ``value`` names (as a session holds it), or None if it names none."""
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


@cache
def user_columns(alias):
    """Return (the user table's columns as a SELECT list, the table named ``u``; the user's
    attribute names in their order, what ``user_from_row`` takes)."""
    quote = connections[alias].ops.quote_name
    fields = get_user_model()._meta.concrete_fields
    columns = ", ".join(f"u.{quote(field.column)}" for field in fields)
    return columns, [field.attname for field in fields]


def user_from_row(alias, values):
    """Return the user whose columns (in ``user_columns`` order) are ``values``."""
    return get_user_model().from_db(alias, user_columns(alias)[1], values)


@cache
def _user_statement(alias):
    user_model = get_user_model()
    quote = connections[alias].ops.quote_name
    table, key = quote(user_model._meta.db_table), quote(user_model._meta.pk.column)
    return f"SELECT {user_columns(alias)[0]} FROM {table} AS u WHERE u.{key} = %s"  # noqa: S608 (the model's own names)


# The user a request's session was read with, while Django's ``get_user`` runs for it.
_read_with_session = ContextVar("read_with_session", default=None)


def get_user(request):
    """Django's ``auth.get_user`` for the request, given the user its session store read with
    the session (its ``signed_in_user``), if it did: Django checks that user as any other
    (the session's backend, the password's hash)."""
    user = getattr(request.session, "signed_in_user", None)  # a store of Django's: None
    reset = _read_with_session.set(user)
    try:
        return auth.get_user(request)
    finally:
        _read_with_session.reset(reset)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, its ``request.user`` found by ``get_user`` above."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend``, taking a session's user as read with the session or else
    reading it in one plain statement: the same user, the same answers (an unknown or
    inactive user: None)."""

    def get_user(self, user_id):
        pk = user_pk(user_id)  # a signed session holds the id it was given: rarely none
        if pk is None:
            return None
        known = _read_with_session.get()
        if known is not None and known.pk == pk:
            return known if self.user_can_authenticate(known) else None
        alias = router.db_for_read(get_user_model())
        if not reads_plainly(alias):
            return super().get_user(pk)
        row = fetch_row(alias, _user_statement(alias), [pk])
        if row is None:
            return None
        user = user_from_row(alias, row)
        return user if self.user_can_authenticate(user) else None
