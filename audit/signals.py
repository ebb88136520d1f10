"""Write one audit entry per create, update and delete of the audited models.

The entry is written by the model signals, so every path (pages, API, admin, import) is
covered without calling anything; it joins the transaction the save or delete runs in.
Old values are read from the database in ``pre_save`` (one query per audited save).
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_save

from .context import current_actor
from .models import AuditEntry

ERASED = "[erased]"
# model label -> (object id attribute, fields never logged)
AUDITED = {
    "profiles.Profile": ("profile_id", {"updated_at", "md5", "xxh"}),
    "subscriptions.Subscription": ("public_id", {"updated_at"}),
}


def _snapshot(instance, skip):
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in skip or field.primary_key:
            continue
        value = field.value_from_object(instance)
        if field.name == "custom_values" and isinstance(value, dict):
            values.update({f"fields.{name}": v for name, v in value.items()})
            continue
        if hasattr(value, "name") and not isinstance(value, str):  # files
            value = value.name or ""
        values[field.attname] = value
    return values


def _json(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _profile_id_of(instance):
    if hasattr(instance, "profile_id") and isinstance(instance.profile_id, str):
        return instance.profile_id
    profile = getattr(instance, "profile", None)
    return getattr(profile, "profile_id", "") or ""


def _write(instance, action, changes):
    id_attr, _ = AUDITED[instance._meta.label]
    actor = current_actor()
    user = getattr(actor.user, "user", actor.user)  # a request, or a user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "",
        channel=actor.channel,
        action=action,
        object_type=instance._meta.label,
        object_id=str(getattr(instance, id_attr, "") or instance.pk),
        profile_id=_profile_id_of(instance),
        changes=changes,
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
        changes = {key: pair for key, pair in changes.items() if pair[1] not in (None, "", [], {})}
    if changes or created:
        _write(instance, AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE, changes)


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
