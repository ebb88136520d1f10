"""Text in the order people read it: ``Alphabetical("last_name")`` sorts and compares a
column with case and accents ignored (Á with A, É with E, Ł with L, "van der Veiver" with
the Vs), where the column's own collation (C here: byte order, which the pattern indexes
of the search need) puts every capital before every small letter and accented letters
after z.

On PostgreSQL it is ``column COLLATE "und-x-icu"`` (ICU's root collation, deterministic:
equal texts under it are ordered by their bytes); on SQLite ``column COLLATE
"alphabetical"``, a collation this module registers on each connection (``install``)
comparing casefolded texts without their accents, then the texts themselves. An index on
the collated column serves the order and keyset comparisons against it
(``WHERE (last_name COLLATE …, …) > (…)``); cursors keep the raw values.
"""

import functools
import unicodedata

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import Func

POSTGRESQL_COLLATION = "und-x-icu"
SQLITE_COLLATION = "alphabetical"

# Letters Unicode does not decompose into a base letter and a mark, as ICU's root order
# reads them (casefolding already made "ß" and "ẞ" "ss").
BASE_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "ŧ": "t",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i",
        "ƀ": "b",
        "ɨ": "i",
        "æ": "ae",
        "œ": "oe",
    }
)


class Alphabetical(Func):
    """A text column (or expression) compared in alphabetical order: in ``order_by()``, in
    a filter's comparison, in an index (``models.Index(Alphabetical("last_name"), …)``)."""

    template = "%(expressions)s COLLATE %(collation)s"
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        if "collation" not in extra_context:  # no such collation known here: the plain text
            return compiler.compile(self.source_expressions[0])
        return super().as_sql(compiler, connection, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        collation = connection.ops.quote_name(POSTGRESQL_COLLATION)
        return self.as_sql(compiler, connection, collation=collation, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        collation = connection.ops.quote_name(SQLITE_COLLATION)
        return self.as_sql(compiler, connection, collation=collation, **extra_context)


@functools.lru_cache(maxsize=65536)
def sort_key(text):
    """Return the key SQLite's ``alphabetical`` collation orders ``text`` by: the text
    casefolded, without accents, stroke letters as their base letters; then the text itself,
    so that the order is total (a cursor's position is one place in it)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.translate(BASE_LETTERS), text


def compare(left, right):
    """SQLite's ``alphabetical`` collation: -1, 0 or 1 as ``left`` sorts before, with or
    after ``right``."""
    left, right = sort_key(left), sort_key(right)
    return (left > right) - (left < right)


def register(sender=None, connection=None, **kwargs):
    """Register the ``alphabetical`` collation on a new SQLite connection (a table indexed
    by it cannot be written without it)."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_COLLATION, compare)


def install():
    """Register the collation on every SQLite connection from now on, and on those open."""
    connection_created.connect(register, dispatch_uid="core.collation.register")
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            register(connection=connection)
