"""Keyset pages of a list ordered by a few columns ending with the id: "Next" and "Previous"
carry the position of the last (first) row shown, and a page is the rows after (before) it.

Each page is one range query an index on the same columns answers, as fast at page 20,000
as at page 1 (an OFFSET reads and drops every row before the page). A position travels in
the URL as a cursor, the row's values of those columns as URL-safe base64 of JSON.

A text column people read in alphabetical order is named ``Alphabetical("last_name")``
(``core.collation``): the order and the comparison with a position are the collated
column's, which its index (on the collated column) serves; the cursor holds the raw value.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from .collation import Alphabetical
from .text import INT64_MAX

CURSOR_MAX_LENGTH = 2000


@dataclass
class Page:
    rows: list
    has_previous: bool
    has_next: bool
    first_cursor: str = ""
    last_cursor: str = ""


def column_name(field):
    """Return the model field's name of an order's ``field``: a name, or
    ``Alphabetical(name)``."""
    if isinstance(field, Alphabetical):
        return field.source_expressions[0].name
    return field


def expression(field):
    """Return what a position is compared with: the column, or the collated column."""
    return field if isinstance(field, Alphabetical) else F(field)


def ordering(fields, descending=False):
    """Return the ``order_by()`` arguments ordering by ``fields``, all one way."""
    return [
        (f"-{field}" if descending else field)
        if isinstance(field, str)
        else (field.desc() if descending else field.asc())
        for field in fields
    ]


def encode_cursor(values):
    text = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decoded(cursor, count):
    """Return the list of ``count`` values a cursor holds, or None."""
    if not cursor or len(cursor) > CURSOR_MAX_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != count:
        return None
    return values


def decode_texts(cursor, count):
    """Return the ``count`` texts a cursor of texts holds (each typed by its reader), or
    None when it is not one."""
    values = _decoded(cursor, count)
    if values is None or not all(_is_text(value) for value in values):
        return None
    return values


def _is_text(value):
    return isinstance(value, str) and "\x00" not in value


def decode_cursor(cursor, fields):
    """Return the position a cursor holds for these ``fields`` (text values, then the id),
    or None when it is not one this list gave."""
    values = _decoded(cursor, len(fields))
    if values is None:
        return None
    *texts, last = values
    if not all(_is_text(value) for value in texts):
        return None
    if isinstance(last, bool) or not isinstance(last, int) or not 0 <= last <= INT64_MAX:
        return None
    return values


def page(queryset, fields, *, descending=False, after=None, before=None, size=25, cursor_of=None):
    """Return the ``Page`` of ``queryset`` ordered by ``fields`` (the last one unique: the id;
    a text may be ``Alphabetical``) after the position ``after``, before ``before``, or the
    first; ``cursor_of(row)`` writes a row's position (by default its values of ``fields``,
    ``encode_cursor``)."""
    columns = Tuple(*(expression(field) for field in fields))
    if after is not None:
        queryset = queryset.filter(
            (TupleLessThan if descending else TupleGreaterThan)(columns, after)
        )
    if before is not None:
        queryset = queryset.filter(
            (TupleGreaterThan if descending else TupleLessThan)(columns, before)
        )
    backwards = before is not None
    rows = list(queryset.order_by(*ordering(fields, descending != backwards))[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    if backwards:
        rows.reverse()
        result = Page(rows, has_previous=more, has_next=True)
    else:
        result = Page(rows, has_previous=after is not None, has_next=more)
    if cursor_of is None:

        def cursor_of(row):
            return encode_cursor(getattr(row, column_name(field)) for field in fields)

    if rows:
        result.first_cursor, result.last_cursor = cursor_of(rows[0]), cursor_of(rows[-1])
    return result


def estimated_count(queryset, exact_up_to=1000):
    """Return (how many rows ``queryset`` holds, whether that is exact), never counting a
    big table: up to ``exact_up_to`` rows are counted (a count that stops there); beyond,
    PostgreSQL's planner estimates it (EXPLAIN, from the table's statistics) and other
    databases (SQLite: small ones) count."""
    queryset = queryset.order_by()
    counted = queryset[: exact_up_to + 1].count()
    if counted <= exact_up_to:
        return counted, True
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count(), True
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(int(plan[0]["Plan"]["Plan Rows"]), counted), False


def about(number):
    """Round a count for people: 7, 180, 12,300, 1.2 M."""
    if number < 100:
        return f"{number}"
    if number < 1_000_000:
        digits = len(str(number)) - 3  # keep three significant digits, then two
        rounded = round(number, -max(digits, 1)) if number >= 1000 else round(number, -1)
        return f"{rounded:,}"
    return f"{number / 1_000_000:.1f} M".replace(".0 M", " M")
