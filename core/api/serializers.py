"""The bases of the API's serializers: strict about types, and about keys.

A key a serializer does not know is a 400 naming it, never silently dropped: a client
sending ``"mode": "insert"`` or ``"plna": "gold"`` learns at once that it was not taken.
"""

from collections.abc import Mapping

from django.db import models
from rest_framework import serializers

from .fields import StrictBooleanField, StrictCharField, StrictEmailField, StrictSlugField

# Keys a browser form may add to a request body; they are not data.
IGNORED_KEYS = {"csrfmiddlewaretoken"}


class RejectUnknownKeysMixin:
    """Answer each key of the body that no field takes with an error naming it."""

    unknown_key_message = "Unknown field."

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            errors = {
                str(key): [self.unknown_key_message]
                for key in data
                if key not in self.fields and key not in IGNORED_KEYS
            }
            # DRF takes any iterable for a many-related field, so an object would be read
            # as the list of its keys (``"channels": {}`` as no channel).
            errors.update(
                {
                    name: ['Expected a list of items but got type "dict".']
                    for name, field in self.fields.items()
                    if isinstance(field, serializers.ManyRelatedField)
                    and not field.read_only
                    and isinstance(data.get(name), Mapping)
                }
            )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictSerializer(RejectUnknownKeysMixin, serializers.Serializer):
    """A request body that is not a model: known keys only."""


class StrictModelSerializer(RejectUnknownKeysMixin, serializers.ModelSerializer):
    """A model serializer that coerces nothing and rejects keys it does not know."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
    }


class DatabaseObjectMixin:
    """A serializer of an object of one profile database whose name is unique in it (a
    trigger, a form, a pixel…): a change cannot move it to another database, and a name
    taken in the database is a 400 naming ``name`` (the model's unique constraint would be
    a 500, or an error naming no field)."""

    move_message = "It cannot move to another database; create it there instead."
    unique_name_message = "Database “{database}” already has one named “{name}”."

    def check_database_and_name(self, attrs):
        """Refuse a move or a taken name; return the (database, name) the write will have."""
        instance = self.instance
        database = attrs.get("database", instance.database if instance else None)
        if instance is not None and database != instance.database:
            raise serializers.ValidationError({"database": [self.move_message]})
        name = attrs.get("name", instance.name if instance else "")
        same_name = self.Meta.model._default_manager.filter(database=database, name=name)
        if instance is not None:
            same_name = same_name.exclude(pk=instance.pk)
        if same_name.exists():
            message = self.unique_name_message.format(database=database, name=name)
            raise serializers.ValidationError({"name": [message]})
        return database, name
