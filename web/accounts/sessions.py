"""Sessions in the database (Django's ``db`` engine), each read with its user in one
statement. ``SESSION_ENGINE = "web.accounts.sessions"``.

Every page and every API call a person makes reads its session, then the user it names:
two round trips, and the ORM's building of each query cost more than running it. Here each
session's row keeps its user's id (``web.models.Session.user``), and on PostgreSQL one plain
statement reads the session and, joined to it, the user's row; ``core.auth`` hands that user
to Django's ``get_user``, which checks it as it checks any (the session's signature, the
password's hash). Saving, expiry and clearing are Django's. SQLite runs Django's reads (its
driver hands back times as text, which the ORM converts).
"""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from core.auth import fetch_row, reads_plainly, user_columns, user_from_row, user_pk
from web.models import Session


class SessionStore(db.SessionStore):
    _signed_in_user = None

    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = user_pk(data.get(SESSION_KEY))
        return instance

    @property
    def signed_in_user(self):
        """The user read with the session's row; None if it has none, has no user, or was
        not read by the joined statement."""
        self._session  # noqa: B018 (loads the session once, reading its user with it)
        return self._signed_in_user

    def load(self):
        self._signed_in_user = None
        return super().load()

    def _get_session_from_db(self):
        alias = router.db_for_read(self.model)
        if not reads_plainly(alias):
            return super()._get_session_from_db()
        row = fetch_row(alias, _statement(alias), [self.session_key, timezone.now()])
        if row is None:  # none, or expired: as Django's, a new session starts
            self._session_key = None
            return None
        data, expire_date, user_id, *user = row
        if user_id is not None:
            self._signed_in_user = user_from_row(alias, user)
        names = ["session_key", "session_data", "expire_date", "user_id"]
        return self.model.from_db(alias, names, [self.session_key, data, expire_date, user_id])


_NAMES = ("session_key", "session_data", "expire_date", "user")


@cache
def _statement(alias):
    quote = connections[alias].ops.quote_name
    opts, user_opts = Session._meta, get_user_model()._meta
    column = {name: "s." + quote(opts.get_field(name).column) for name in _NAMES}
    return (
        f"SELECT {column['session_data']}, {column['expire_date']}, {column['user']},"  # noqa: S608 (the models' own names)
        f" {user_columns(alias)[0]} FROM {quote(opts.db_table)} AS s"
        f" LEFT JOIN {quote(user_opts.db_table)} AS u"
        f" ON u.{quote(user_opts.pk.column)} = {column['user']}"
        f" WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )
