"""The Changes page in words: field labels for column names, names for ids, labels for choices.

An entry stores what the database stored (``database_id: 3``, ``status: "hard_bounced"``,
``fields.tariff``) so that it stays exact; a marketer reads "Database: Shop", "Status: Hard
bounced", "Tariff plan". The related names are read with one query per related model for
the whole page, whatever the number of entries.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from django.apps import apps
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst

from audit.signals import AUDITED, ERASED
from core.fieldtypes import FieldType, is_empty
from core.jsonvalues import shown, truncated

CUSTOM_PREFIX = "fields."


@dataclass
class Row:
    label: str
    key: str
    old: str
    new: str


def _model(label):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@cache
def _fields_by_key(model):
    """{entry key: model field}: field names and foreign keys' attnames (``database_id``)."""
    fields = {}
    for field in model._meta.get_fields():
        fields[field.name] = field
        if hasattr(field, "attname"):
            fields[field.attname] = field
    return fields


def _field(model, key):
    """The model field an entry key names, or None."""
    return None if model is None else _fields_by_key(model).get(key)


def _text(value, field=None, related=None, moment=False):
    """``moment``: the value is a date and time stored as text (a custom field of type
    date), shown as the page shows its other moments."""
    if is_empty(value):
        return "—"
    if value == ERASED:
        return value
    if related is not None:
        return related.get(value, str(value))
    if (isinstance(field, models.DateTimeField) or moment) and (at := parse_datetime(str(value))):
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")  # the page is in UTC
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return shown(value)
    return str(value)


def _related_names(entries):
    """{related model: {id: str(object)}} for every foreign key id the entries show."""
    wanted = defaultdict(set)
    for entry in entries:
        model = _model(entry.object_type)
        for key, values in entry.changes.items():
            field = _field(model, key)
            if field is not None and field.many_to_one:
                wanted[field.related_model].update(v for v in values if isinstance(v, int))
    return {
        related: {pk: str(obj) for pk, obj in related._base_manager.in_bulk(ids).items()}
        for related, ids in wanted.items()
    }


def _object_names(entries):
    """{(object type, object id): str(object)} for the entries' objects that still exist,
    other than the profile itself (its page names it)."""
    wanted = defaultdict(set)
    for entry in entries:
        if entry.object_id != entry.profile_id:
            wanted[entry.object_type].add(entry.object_id)
    found = {}
    for object_type, ids in wanted.items():
        model = _model(object_type)
        if model is None or object_type not in AUDITED:
            continue
        id_attr = AUDITED[object_type][0]
        for obj in model._base_manager.select_related().filter(**{f"{id_attr}__in": ids}):
            found[object_type, str(getattr(obj, id_attr))] = str(obj)
    return found


def describe(entries, custom_fields):
    """Give each entry ``object_name``, ``object_text`` (the object as it is now, if it still
    exists) and ``rows`` (label, key, old and new value as text).

    ``custom_fields``: {object type: {custom field name: (label, field type)}}.
    """
    names = _related_names(entries)
    objects = _object_names(entries)
    for entry in entries:
        model = _model(entry.object_type)
        entry.object_name = model._meta.verbose_name if model else entry.object_type
        entry.object_text = objects.get((entry.object_type, entry.object_id), "")
        custom = custom_fields.get(entry.object_type, {})
        entry.rows = []
        for key, (old, new) in entry.changes.items():
            moment = False
            if key.startswith(CUSTOM_PREFIX):
                name = key.removeprefix(CUSTOM_PREFIX)
                label, field_type = custom.get(name, (name, None))
                field, related, moment = None, None, field_type == FieldType.DATE
            else:
                field = _field(model, key)
                label = capfirst(getattr(field, "verbose_name", key))
                related = names.get(field.related_model) if field and field.many_to_one else None
            old, new = (truncated(_text(value, field, related, moment)) for value in (old, new))
            entry.rows.append(Row(label, key, old, new))
    return entries
