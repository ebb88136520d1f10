"""Write one audit entry per create, update and delete of the audited models.

The entry is written by the model signals, so every path (pages, API, admin, import) is
covered without calling anything; it joins the transaction the save or delete runs in.
Old values are read from the database in ``pre_save`` (one query per audited save).
"""

import functools

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from core import bulk
from core.races import LostRace

from .context import current_actor
from .models import AuditEntry

ERASED = "[erased]"
# model label -> (object id attribute, fields never logged)
AUDITED = {
    "profiles.Profile": ("profile_id", {"updated_at", "md5", "xxh"}),
    "subscriptions.Subscription": ("public_id", {"updated_at"}),
}
# Many-to-many fields logged as a list of names: model label -> field names.
AUDITED_M2M = {"subscriptions.Subscription": ["categories"]}
# A soft delete (this field set) is logged as a delete.
SOFT_DELETE_FIELD = "deleted_at"


def snapshot(instance, skip):
    """The instance's logged values (custom values as ``fields.<name>``), as JSON."""
    return {key: _json(value) for key, value in _snapshot(instance, skip).items()}


@functools.cache
def _logged_fields(model, skip):
    """(attname, whether it holds custom values) of the model's logged fields, in order."""
    return [
        (field.attname, field.name == "custom_values")
        for field in model._meta.concrete_fields
        if field.name not in skip and not field.primary_key
    ]


# Values of these exact types have no ``name`` (a file's) and are JSON as they are.
PLAIN = frozenset({str, int, float, bool, type(None)})
JSON_TYPES = (bool, int, float, str, list, dict)
# What a create does not log (compared with ==, as ``in`` does; never changed).
UNSET = (None, "", [], {})


def _snapshot(instance, skip):
    values = {}
    held = instance.__dict__
    for attname, custom in _logged_fields(type(instance), frozenset(skip)):
        value = held[attname] if attname in held else getattr(instance, attname)
        if custom and isinstance(value, dict):
            values.update({f"fields.{name}": v for name, v in value.items()})
            continue
        if value.__class__ not in PLAIN and hasattr(value, "name") and not isinstance(value, str):
            value = value.name or ""  # files
        values[attname] = value
    return values


def _json(value):
    if value.__class__ in PLAIN or isinstance(value, JSON_TYPES):
        return value
    return str(value)


def _created_changes(values):
    """A create's changes: [None, value] of each value set (not None, "", [] or {})."""
    changes = {}
    for key, value in values.items():
        cls = value.__class__
        if cls is str:  # the most frequent: set unless ""
            if value:
                changes[key] = [None, value]
        elif cls is int or cls is bool or cls is float:  # never equal to an unset value
            changes[key] = [None, value]
        elif value not in UNSET:
            changes[key] = [None, _json(value)]
    return changes


def _profile_id_of(instance):
    if hasattr(instance, "profile_id") and isinstance(instance.profile_id, str):
        return instance.profile_id
    try:
        profile = getattr(instance, "profile", None)
    except ObjectDoesNotExist:  # deleted by another request since the row was read
        raise LostRace(
            f"The profile of {instance._meta.object_name} {instance.pk} is gone."
        ) from None
    return getattr(profile, "profile_id", "") or ""


def _actor():
    """The entry's author fields for the current actor (the request's user, a user, none)."""
    actor = current_actor()
    user = getattr(actor.user, "user", actor.user)  # a request, or a user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return {
        "actor": user,
        "actor_name": user.get_username() if user else "",
        "channel": actor.channel,
    }


def _write(instance, action, changes):
    """Save one entry: the row a bulk write inserts (``_row``), as a model instance."""
    row = _row(instance, action, changes, _actor(), timezone.now())
    values = dict(zip(AUDIT_COLUMNS, row, strict=True))
    values["actor_id"] = values.pop("actor")
    entry = AuditEntry(**values)
    entry.save()
    return entry


def log_updates(changes_by_instance):
    """Log changes made without saving each object (bulk updates): {instance: changes},
    or [(instance, changes)] in order when an instance changed more than once."""
    if isinstance(changes_by_instance, dict):
        changes_by_instance = changes_by_instance.items()
    author, at = _actor(), timezone.now()
    rows = [
        _row(instance, AuditEntry.Action.UPDATE, changes, author, at)
        for instance, changes in changes_by_instance
        if changes
    ]
    bulk.insert_rows(AuditEntry, AUDIT_COLUMNS, rows)


AUDIT_COLUMNS = [
    "at",
    "actor",
    "actor_name",
    "channel",
    "action",
    "object_type",
    "object_id",
    "profile_id",
    "changes",
    "erased",
]


def log_creates(instances):
    """Log objects created without saving each one (a bulk insert), as ``after_save``
    logs one: every value set. Written as rows (no entry object per instance), each built
    as the COPY sends it: nothing may query the database meanwhile (the instances' profiles
    are loaded, or they are profiles)."""
    author, at = _actor(), timezone.now()

    def rows():  # built as the COPY sends them: the database writes the ones before meanwhile
        for instance in instances:
            _, skip = AUDITED[instance._meta.label]
            changes = _created_changes(_snapshot(instance, skip))
            yield _row(instance, AuditEntry.Action.CREATE, changes, author, at)

    bulk.insert_rows(AuditEntry, AUDIT_COLUMNS, rows())


def _row(instance, action, changes, author, at):
    """An entry as a row of AUDIT_COLUMNS (bulk writes build no entry object per row)."""
    label = instance._meta.label
    id_attr, _ = AUDITED[label]
    actor = author["actor"]
    return (
        at,
        actor.pk if actor is not None else None,
        author["actor_name"],
        author["channel"],
        action,
        label,
        str(getattr(instance, id_attr, "") or instance.pk),
        _profile_id_of(instance),
        changes,
        False,
    )


def before_save(sender, instance, **kwargs):
    _, skip = AUDITED[sender._meta.label]
    instance._audit_old = None
    if instance.pk:
        old = sender._base_manager.filter(pk=instance.pk).first()
        instance._audit_old = _snapshot(old, skip) if old else None


def after_save(sender, instance, created, **kwargs):
    _, skip = AUDITED[sender._meta.label]
    new = _snapshot(instance, skip)
    old = getattr(instance, "_audit_old", None) or {}
    changes = {
        key: [_json(old.get(key)), _json(value)]
        for key, value in new.items()
        if created or old.get(key) != value
    }
    changes |= {key: [_json(value), None] for key, value in old.items() if key not in new}
    if created:
        changes = {key: pair for key, pair in changes.items() if pair[1] not in UNSET}
    action = AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE
    soft_delete = changes.get(SOFT_DELETE_FIELD)
    if soft_delete and soft_delete[0] is None and soft_delete[1] is not None:
        action = AuditEntry.Action.DELETE
    if changes or created:
        _write(instance, action, changes)


def _names(instance, field_name):
    return sorted(str(related) for related in getattr(instance, field_name).all())


def m2m_changing(sender, instance, action, reverse, **kwargs):
    """Log a many-to-many change as one update: the names before and after.

    ``set()`` removes then adds; both halves update the one entry kept on the instance.
    """
    if reverse or type(instance)._meta.label not in AUDITED_M2M:
        return
    field_name = _m2m_field_name(type(instance), sender)
    if field_name is None:
        return
    if action.startswith("pre_"):
        pending = getattr(instance, "_audit_m2m", {})
        if field_name not in pending:
            pending[field_name] = (_names(instance, field_name), None)
            instance._audit_m2m = pending
        return
    before, entry = instance._audit_m2m[field_name]
    after = _names(instance, field_name)
    changes = {field_name: [before, after]}
    if entry is None:
        if before != after:
            entry = _write(instance, AuditEntry.Action.UPDATE, changes)
            instance._audit_m2m[field_name] = (before, entry)
    else:
        entry.changes = changes
        entry.save(update_fields=["changes"])


def _m2m_field_name(model, through):
    for name in AUDITED_M2M[model._meta.label]:
        if model._meta.get_field(name).remote_field.through is through:
            return name
    return None


def after_delete(sender, instance, **kwargs):
    _write(instance, AuditEntry.Action.DELETE, {})
    if sender._meta.label == "profiles.Profile":
        erase_personal_values(instance.profile_id)


def erase_personal_values(profile_id):
    """Keep a deleted profile's audit trail (who changed which field when) without values."""
    entries = list(AuditEntry.objects.filter(profile_id=profile_id, erased=False))
    for entry in entries:
        entry.changes = {key: [ERASED, ERASED] for key in entry.changes}
        entry.erased = True
    AuditEntry.objects.bulk_update(entries, ["changes", "erased"], batch_size=500)


def connect():
    for label in AUDITED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # an app not installed yet
        uid = f"audit-{label}"
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(after_delete, sender=model, dispatch_uid=f"{uid}-del")
        for name in AUDITED_M2M.get(label, []):
            through = model._meta.get_field(name).remote_field.through
            m2m_changed.connect(m2m_changing, sender=through, dispatch_uid=f"{uid}-{name}")
