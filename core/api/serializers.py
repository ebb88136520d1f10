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
