"""Inserting many rows at once, as fast as the database allows.

On PostgreSQL the rows go through ``COPY … FROM STDIN``: no SQL to build per row, no
parameters to bind, several times faster than a multi-row ``INSERT`` for thousands of
rows. The primary keys the caller needs are taken from the table's sequence first, in one
query, and written with the rows. Elsewhere (SQLite) it is ``bulk_create``.

``insert`` takes model instances (the caller keeps them, with their keys), ``insert_each``
takes them as an iterable makes them (the making runs beside the writing); ``insert_rows``
takes plain tuples, for rows nobody reads back (an event, an audit entry), which spares
building a model instance for each. Values are written as the model holds them: the caller
sets what ``save`` would (``insert`` fills auto_now fields, as ``bulk_create`` does).
"""

import json
import operator
from contextlib import contextmanager

import orjson
from django.db import connection, models


def insert(model, objects, *, with_ids=False):
    """Insert ``objects`` (unsaved instances of ``model``); with ``with_ids``, set each
    one's primary key. Return the objects."""
    objects = list(objects)
    if not objects:
        return objects
    if with_ids:
        return insert_each(model, objects, len(objects))
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_create(objects, batch_size=5000)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    _copy(model, fields, _values(fields, objects))
    _saved(objects)
    return objects


def insert_each(model, objects, count):
    """Insert the unsaved instances an iterable yields (at most ``count``), each given its
    primary key; return them in order. On PostgreSQL each one goes into the ``COPY`` as
    it comes, so the work that makes the next one (its check, its hashes) runs while the
    database writes the ones before it: on two cores, side by side instead of one after
    the other. The ``count`` keys are taken from the sequence first; those of objects
    never yielded stay unused, as a rolled back insert leaves its keys."""
    if connection.vendor != "postgresql":
        objects = list(objects)
        return model._base_manager.bulk_create(objects, batch_size=5000) if objects else objects
    ids = iter(take_ids(model, count))
    pk = model._meta.pk.attname
    made = []

    def given_keys():
        for obj in objects:
            setattr(obj, pk, next(ids))
            made.append(obj)
            yield obj

    fields = list(model._meta.concrete_fields)
    _copy(model, fields, _values(fields, given_keys()))
    _saved(made)
    return made


def _values(fields, objects):
    """Yield each object's values of the fields, as ``save`` writes them (auto_now fields
    filled, as ``bulk_create`` fills them)."""
    auto = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    attnames = [field.attname for field in fields]
    for obj in objects:
        for field in auto:
            field.pre_save(obj, add=True)
        held = obj.__dict__
        yield [held[name] for name in attnames]


def _saved(objects):
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model, names, rows):
    """Insert ``rows`` (tuples of values in the order of the field ``names``; a foreign key
    by its id) into ``model``'s table."""
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor != "postgresql":
        attnames = [field.attname for field in fields]
        objects = (model(**dict(zip(attnames, row, strict=True))) for row in rows)
        model._base_manager.bulk_create(objects, batch_size=5000)
        return
    _copy(model, fields, rows)


def insert_text(model, names, chunks):
    """Insert rows already written in ``COPY``'s text format into the field ``names`` of
    ``model``'s table (PostgreSQL): ``chunks`` are strings of whole lines, a value for each
    name separated by tabs, ``\\N`` for NULL and a backslash doubled. For a hot path that
    writes its few kinds of values faster than a row at a time can be, knowing them free of
    tabs and line breaks (JSON written compact holds none: they are escaped in its strings).
    """
    with _copy_into(model, [model._meta.get_field(name) for name in names]) as copy:
        for chunk in chunks:
            copy.write(chunk)


def _copy(model, fields, rows):
    convert = _row_converter(fields)
    with _copy_into(model, fields) as copy:
        write = copy.write_row
        if convert is None:
            for row in rows:
                write(row)
        else:
            for row in rows:
                write(convert(row))


@contextmanager
def _copy_into(model, fields):
    """Open a ``COPY … FROM STDIN`` into the columns of ``fields`` of ``model``'s table;
    yield psycopg's Copy."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    # Django's wrapper turns the driver's errors into its own (a unique violation is an
    # IntegrityError, as from a query), which the raw cursor's COPY would not.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        yield copy


def _row_converter(fields):
    """Return ``convert(row)``: the row with each value as COPY writes it, or None when
    every value is written as Python holds it. Only the columns that need it are touched
    (JSON, files), and a text column's None (written "") is looked for in one C-level
    test, not value by value: a profile has some forty columns, thirty of them text."""
    converters = [(index, _converter(field)) for index, field in enumerate(fields)]
    texts = [index for index, converter in converters if converter is _text]
    others = [
        (index, converter) for index, converter in converters if converter not in (None, _text)
    ]
    if not texts and not others:
        return None
    pick_texts = operator.itemgetter(*texts) if texts else None
    single_text = len(texts) == 1

    def convert(row):
        row = list(row)
        for index, converter in others:
            row[index] = converter(row[index])
        if pick_texts is not None:
            held = pick_texts(row)
            if (held is None) if single_text else (None in held):
                for index in texts:
                    if row[index] is None:
                        row[index] = ""
        return row

    return convert


def take_ids(model, count):
    """Return ``count`` new primary keys of ``model`` (PostgreSQL), from its sequence in one
    query. The sequence is looked up once: ``pg_get_serial_sequence`` per key read the
    catalog a thousand times for a thousand keys (2.8 ms against 0.4)."""
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH s AS MATERIALIZED"
            " (SELECT pg_get_serial_sequence(%s, %s)::regclass AS sequence)"
            " SELECT nextval(s.sequence) FROM s, generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [value for (value,) in cursor.fetchall()]


def json_text(value):
    """``value`` as JSON text (None for None), compact."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # a type orjson does not write: the standard encoder's answer
        return json.dumps(value)


def _converter(field):
    """How a value of the field is written by COPY (None: as Python holds it)."""
    if isinstance(field, models.JSONField):
        if field.encoder is not None:
            encoder = field.encoder
            return lambda value: None if value is None else json.dumps(value, cls=encoder)
        return json_text
    if isinstance(field, models.FileField):  # a FieldFile once read: its name is stored
        return lambda value: getattr(value, "name", value) or ""
    if isinstance(field, (models.CharField, models.TextField)) and not field.null:
        return _text
    return None


def _text(value):
    """A NOT NULL text column's value: "" for None."""
    return "" if value is None else value
