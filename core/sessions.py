"""Sessions in the database (Django's ``db`` engine), each read by one plain statement.

Every page and every API call a person makes reads its session first: the ORM's building
of ``Session.objects.get(session_key=…, expire_date__gt=now)`` cost more than the query
(see ``core.auth``). The statement, the rows it finds and all else (saving, expiry,
clearing) are Django's. ``SESSION_ENGINE = "core.sessions"``.
"""

from functools import cache

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from core.auth import fetch_row, reads_plainly


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        alias = router.db_for_read(self.model)
        if not reads_plainly(alias):
            return super()._get_session_from_db()
        row = fetch_row(alias, _statement(alias), [self.session_key, timezone.now()])
        if row is None:  # none, or expired: as Django's, a new session starts
            self._session_key = None
            return None
        names = ["session_key", "session_data", "expire_date"]
        return self.model.from_db(alias, names, [self.session_key, *row])


@cache
def _statement(alias):
    model = db.SessionStore.get_model_class()
    quote = connections[alias].ops.quote_name
    column = {
        name: quote(model._meta.get_field(name).column)
        for name in ("session_key", "session_data", "expire_date")
    }
    table = quote(model._meta.db_table)
    return (
        f"SELECT {column['session_data']}, {column['expire_date']} FROM {table}"  # noqa: S608 (the model's own names)
        f" WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )
