"""The personal-data export of a profile (data-subject requests), shared by the page and the API.

The export is a JSON-ready dict: identifiers, every standard field, phones, custom values with
their definitions, the whole action history, segment memberships, suppression-list entries,
and the rows of every other model that points at the profile (subscriptions, relations,
orders…), each with the rows that are part of it (an order's lines, a loyalty membership's
transactions), so data added by later apps is exported without changing this module.

Those other rows go only to a user who may read them elsewhere, by the model's view
permission (``core.scoping.view_permission``, as its API and its part of the profile page
check): the export must not be a way round them (a marketer without ``market.view_order``
gets no orders here either). Each model left out is named under ``withheld`` with the
permission it needs, so a partial export is not taken for complete; it is named whether or
not the profile has rows of it, so it tells nothing of them. The export is built in the
request, for its user; a job building it would have to decide from the user who asked, when
it reads the rows (a permission withdrawn meanwhile then counts).
"""

import json

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.jsonvalues import encodable
from core.scoping import view_permission
from history.models import Event
from subscriptions.models import SuppressedAddress

EXPORT_FORMAT_VERSION = 1
SKIPPED_FIELDS = {"id", "custom_values", "phones", "database"}
# Reverse relations exported by their own sections below (or kept internal).
COVERED_RELATIONS = {"events", "segment_memberships", "phone_index"}


def _json_ready(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _standard_fields(profile):
    data = {}
    for field in profile._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS:
            continue
        value = getattr(profile, field.attname)
        if isinstance(field, models.FileField):
            value = value.url if value else None
        data[field.name] = value
    return data


def _custom_fields(profile):
    definitions = {f.name: f for f in profile.database.custom_fields.all()}
    values = profile.custom_values or {}
    return [
        {
            "name": name,
            "label": definitions[name].display_label() if name in definitions else name,
            "type": definitions[name].type if name in definitions else None,
            "value": value,
        }
        for name, value in values.items()
    ]


def _other_relations(profile, user):
    """Return the rows of every other model with a foreign key to the profile that ``user``
    may view, and the models left out with the permission each needs."""
    related, withheld = {}, {}
    for relation in profile._meta.related_objects:
        if relation.get_accessor_name() in COVERED_RELATIONS or relation.many_to_many:
            continue
        # A model with two keys to profiles (a relation between two of them) lists the
        # rows of both under its one label.
        label = relation.related_model._meta.label_lower
        permission = view_permission(relation.related_model)
        if not user.has_perm(permission):
            withheld[label] = permission
            continue
        if relation.one_to_one:
            manager = relation.related_model._default_manager
            rows = manager.filter(**{relation.field.name: profile})
        else:
            rows = getattr(profile, relation.get_accessor_name()).all()
        # The serializer reads each many-to-many field (a subscription's categories) row
        # by row unless prefetched: one query per field instead of one per row.
        many = [field.name for field in relation.related_model._meta.many_to_many]
        if many:
            rows = rows.prefetch_related(*many)
        serialized = [
            {"id": row["pk"], **row["fields"]} for row in serializers.serialize("python", rows)
        ]
        related.setdefault(label, []).extend(_with_parts(relation.related_model, serialized))
    return related, [
        {"section": "related", "key": label, "permission": permission}
        for label, permission in withheld.items()
    ]


def _with_parts(model, rows):
    """Return ``rows`` (of ``model``, serialized), each with the rows that are part of it
    under their relation's name (an order's ``lines``, a membership's ``transactions``):
    one query per kind of part, whatever the number of rows. They go with their whole,
    under its permission (an order's lines are read with the order elsewhere too)."""
    ids = [row["id"] for row in rows]
    for part in model._meta.related_objects:
        if part.many_to_many or not ids:
            continue
        key = part.field.name
        found = {}
        rows_of_part = part.related_model._default_manager.filter(**{f"{key}__in": ids})
        for item in serializers.serialize("python", rows_of_part.order_by("pk")):
            fields = item["fields"]
            found.setdefault(fields.pop(key), []).append({"id": item["pk"], **fields})
        for row in rows:
            row[part.get_accessor_name()] = found.get(row["id"], [])
    return rows


def export_profile_data(profile, user):
    """Return the personal data held on the profile that ``user`` may read, as a
    JSON-ready dict (all of it for a user with every view permission)."""
    events = profile.events.order_by("occurred_at", "id")
    memberships = profile.segment_memberships.select_related("segment").order_by("added_at")
    suppressed = SuppressedAddress.objects.filter(
        models.Q(profile_id=profile.profile_id) | models.Q(address=profile.email)
    )
    related, withheld = _other_relations(profile, user)
    hide = Event.withholding(user)
    data = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
        "identifiers": {"profile_id": profile.profile_id, "md5": profile.md5, "xxh": profile.xxh},
        "database": {"id": profile.database_id, "name": profile.database.name},
        "profile": _standard_fields(profile),
        "phones": list(profile.phones or []),
        "custom_fields": _custom_fields(profile),
        "events": [
            {
                "id": e.id,
                "type": e.type,
                "label": e.label(),
                "occurred_at": e.occurred_at,
                "data": encodable(e.data),
            }
            for e in map(hide, events)
        ],
        "segments": [
            {"id": m.segment_id, "name": m.segment.name, "added_at": m.added_at}
            for m in memberships
        ],
        "suppression_list": [
            {"address": s.address, "reason": s.reason, "created_at": s.created_at}
            for s in suppressed
        ],
        "related": related,
        "withheld": withheld
        + [
            {"section": "events", "key": f"{type}.{key}", "permission": permission}
            for (type, key), permission in sorted(hide.hidden.items())
        ],
    }
    return _json_ready(data)
