"""Inserting many rows at once, as fast as the database allows.

On PostgreSQL the rows go through ``COPY … FROM STDIN``: no SQL to build per row, no
parameters to bind, several times faster than a multi-row ``INSERT`` for thousands of
rows. The primary keys the caller needs are taken from the table's sequence first, in one
query, and written with the rows. Elsewhere (SQLite) it is ``bulk_create``.

``insert`` takes model instances (the caller keeps them, with their keys); ``insert_rows``
takes plain tuples, for rows nobody reads back (an event, an audit entry), which spares
building a model instance for each. Values are written as the model holds them: the caller
sets what ``save`` would (``insert`` fills auto_now fields, as ``bulk_create`` does).
"""

import json

import orjson
from django.db import connection, models


def insert(model, objects, *, with_ids=False):
    """Insert ``objects`` (unsaved instances of ``model``); with ``with_ids``, set each
    one's primary key. Return the objects."""
    objects = list(objects)
    if not objects:
        return objects
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_create(objects, batch_size=5000)
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and not with_ids)]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                field.pre_save(obj, add=True)
    if with_ids:
        _take_ids(model, objects)
    attnames = [field.attname for field in fields]
    _copy(model, fields, ([obj.__dict__[name] for name in attnames] for obj in objects))
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


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


def _copy(model, fields, rows):
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    converters = [_converter(field) for field in fields]
    if not any(converters):
        converters = None
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            if converters:
                row = [
                    convert(value) if convert else value
                    for value, convert in zip(row, converters, strict=True)
                ]
            copy.write_row(row)


def _take_ids(model, objects):
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(objects)],
        )
        for obj, (value,) in zip(objects, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)


def _json(value):
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
        return _json
    if isinstance(field, models.FileField):  # a FieldFile once read: its name is stored
        return lambda value: getattr(value, "name", value) or ""
    if isinstance(field, (models.CharField, models.TextField)) and not field.null:
        return lambda value: "" if value is None else value
    return None
