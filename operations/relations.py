"""Relations between profiles: adding one by hand or over the API, removing one.

The spec lists no history event for relations, so nothing is recorded in the profiles'
histories; both profiles show the relation in their Data section instead.

Errors name what the caller asked for: ``type``, ``other`` (the profile on the other side)
and ``properties``; the page and the API translate ``other`` to their own field name.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.races import LostRace
from relations.models import Relation

OUTGOING = "outgoing"
INCOMING = "incoming"
DIRECTIONS = {OUTGOING: "from this profile to the other", INCOMING: "from the other to this one"}


class RelationExists(Exception):
    """The two profiles are already related by this type in this direction."""

    def __init__(self, relation):
        self.relation = relation
        super().__init__(
            f"{relation.from_profile} is already “{relation.type}” {relation.to_profile}."
        )


def _ends(profile, other, direction):
    if direction == INCOMING:
        return other, profile
    if direction == OUTGOING:
        return profile, other
    raise ValidationError({"direction": [f"Choose {OUTGOING} or {INCOMING}."]})


def add_relation(profile, other, relation_type, *, properties=None, direction=OUTGOING):
    """Relate ``profile`` and ``other`` by ``relation_type`` (from ``profile`` to ``other``,
    or the other way round for ``incoming``); return the new relation.

    Raises ValidationError (keys ``type``, ``other``, ``properties``) for a type or a
    profile of another database, the profile itself, or properties too big; RelationExists
    when the same relation is there already (also when a concurrent request made it first).
    """
    from_profile, to_profile = _ends(profile, other, direction)
    if other.pk == profile.pk:
        raise ValidationError({"other": ["A profile cannot be related to itself."]})
    if other.database_id != profile.database_id:
        raise ValidationError({"other": [f"Choose a profile of database “{profile.database}”."]})
    relation = Relation(
        type=relation_type,
        from_profile=from_profile,
        to_profile=to_profile,
        properties={} if properties is None else properties,
    )
    try:
        relation.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(
            {
                ("other" if key in {"from_profile", "to_profile"} else key): messages
                for key, messages in error.message_dict.items()
            }
        ) from None
    existing = Relation.objects.filter(
        type=relation_type, from_profile=from_profile, to_profile=to_profile
    ).first()
    if existing is not None:
        raise RelationExists(existing)
    try:
        with transaction.atomic():
            relation.save()
    except IntegrityError as error:  # a concurrent request added it between check and insert
        existing = Relation.objects.filter(
            type=relation_type, from_profile=from_profile, to_profile=to_profile
        ).first()
        if existing is None:  # and a third removed it before this one could read it
            raise LostRace("The relation was added and removed meanwhile.") from error
        raise RelationExists(existing) from None
    return relation


def remove_relation(relation):
    """Remove the relation (from either profile's side); return whether it was still there."""
    deleted, _ = Relation.objects.filter(pk=relation.pk).delete()
    return bool(deleted)
