"""Relations between profiles: typed, directed links between two profiles of one database.

A database has its own relation types ("liked", "recommended", "referred by"). A relation
goes from one profile to another of the same database, with one type and optional
properties (a small JSON object: when, through which campaign…); both profiles show it,
one as going out, the other as coming in. A profile is never related to itself, and two
profiles are related at most once by each type in each direction.

Deleting a profile deletes the relations on either side of it (the foreign keys cascade);
a type still in use cannot be deleted (its relations would go with it unseen).
"""

import math

from django.core.exceptions import ValidationError
from django.db import models

from core.jsonvalues import depth, encoded_size
from core.text import INT64_MAX, check_text, validate_text

# Properties describe a link, they are no document: a few keys, shallow.
PROPERTIES_MAX_BYTES = 8 * 1024
PROPERTIES_MAX_DEPTH = 4


class RelationType(models.Model):
    """A kind of link between two profiles of one database, e.g. "recommended"."""

    name = models.CharField(max_length=100, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="relation_types"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_relation_type_name")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": ["Enter a name."]})


def properties_errors(value):
    """Return why ``value`` cannot be a relation's properties ([] when it can)."""
    if not isinstance(value, dict):
        return ['Enter the properties as a JSON object, e.g. {"source": "campaign"}.']
    levels = depth(value)
    if levels > PROPERTIES_MAX_DEPTH:
        return [f"The properties nest {levels} levels; at most {PROPERTIES_MAX_DEPTH}."]
    size = encoded_size(value)
    if size > PROPERTIES_MAX_BYTES:
        return [f"The properties take {size:,} bytes as JSON; at most {PROPERTIES_MAX_BYTES:,}."]
    try:
        _check_values(value)
    except ValidationError as error:
        return list(error.messages)
    return []


def _check_values(value):
    """Refuse what no column stores: NUL or lone surrogates in text, numbers that are not
    finite or beyond 64 bits."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                check_text(str(key))
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError("Numbers must be finite.")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT64_MAX:
            raise ValidationError(f"Whole numbers go up to {INT64_MAX:,} either way.")


class RelationQuerySet(models.QuerySet):
    def of_profile(self, profile):
        """Relations on either side of ``profile``."""
        return self.filter(models.Q(from_profile=profile) | models.Q(to_profile=profile))

    def for_display(self):
        return self.select_related("type", "from_profile", "to_profile")


class Relation(models.Model):
    """A directed link of one type from one profile to another of the same database."""

    type = models.ForeignKey(RelationType, on_delete=models.PROTECT, related_name="relations")
    from_profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="outgoing_relations"
    )
    to_profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="incoming_relations"
    )
    properties = models.JSONField(
        default=dict,
        blank=True,
        help_text=f"A JSON object of at most {PROPERTIES_MAX_BYTES // 1024} KB, nesting at most "
        f"{PROPERTIES_MAX_DEPTH} levels.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RelationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "from_profile", "to_profile"], name="unique_relation"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_profile=models.F("to_profile")),
                name="relation_not_to_itself",
                violation_error_message="A profile cannot be related to itself.",
            ),
        ]

    def __str__(self):
        return f"{self.from_profile} {self.type} {self.to_profile}"

    def clean(self):
        """Both profiles and the type belong to one database; no profile to itself; the
        properties are a small JSON object."""
        errors = {}
        if self.properties is None:
            self.properties = {}
        problems = properties_errors(self.properties)
        if problems:
            errors["properties"] = problems
        if self.from_profile_id and self.to_profile_id:
            if self.from_profile_id == self.to_profile_id:
                errors["to_profile"] = ["A profile cannot be related to itself."]
            elif self.from_profile.database_id != self.to_profile.database_id:
                errors["to_profile"] = [
                    f"Choose a profile of database “{self.from_profile.database}”: relations "
                    "link profiles of one database."
                ]
        if (
            self.type_id
            and self.from_profile_id
            and self.type.database_id != self.from_profile.database_id
        ):
            errors["type"] = [f"Choose a relation type of database “{self.from_profile.database}”."]
        if errors:
            raise ValidationError(errors)

    def direction_for(self, profile):
        """``outgoing`` when the relation goes from ``profile``, else ``incoming``."""
        return "outgoing" if self.from_profile_id == profile.pk else "incoming"

    def other_than(self, profile):
        """The profile on the other side from ``profile``."""
        return self.to_profile if self.from_profile_id == profile.pk else self.from_profile
