"""The API's token authentication: DRF's, with the token and its user read in one plain
query.

DRF reads them with ``Token.objects.select_related("user").get(key=key)``: building that
query through the ORM costs more than running it (0.56 ms a request against 0.22 here,
for every request an integration makes). The query, the answers and the messages are the
same; the query goes where the router sends reads of tokens (the primary). PostgreSQL only
(see ``core.auth``, which reads a session's user the same way).
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.auth import fetch_row, reads_plainly, user_columns, user_from_row


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        alias = router.db_for_read(Token)
        if not reads_plainly(alias):
            return super().authenticate_credentials(key)
        row = fetch_row(alias, _statement(alias), [key])
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = user_from_row(alias, row[1:])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        held = {"key": key, "user_id": user.pk, "created": row[0]}
        fields = Token._meta.concrete_fields
        token = Token.from_db(alias, list(held), [held[field.attname] for field in fields])
        token.user = user
        return user, token


@cache
def _statement(alias):
    """The SQL reading a token's creation time and its user's columns by the key."""
    user_model = get_user_model()
    quote = connections[alias].ops.quote_name
    columns, _ = user_columns(alias)
    token, user = quote(Token._meta.db_table), quote(user_model._meta.db_table)
    created = quote(Token._meta.get_field("created").column)
    user_id = quote(Token._meta.get_field("user").column)
    joined = f"u.{quote(user_model._meta.pk.column)} = t.{user_id}"
    key = quote(Token._meta.pk.column)
    return f"SELECT t.{created}, {columns} FROM {token} AS t JOIN {user} AS u ON {joined} WHERE t.{key} = %s"  # noqa: S608, E501 (the models' own names)
