"""Serializer fields of the profiles API: strict types (no silent coercion) and the JSON shapes
of phones, custom values and enum options."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..fieldtypes import parse_options
from ..models import ProfileDatabase, normalize_phones


def django_messages(error):
    return list(error.messages)


class StrictTextMixin:
    """Accept only JSON strings: a number or a boolean is an error, not text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Not a valid string.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictSlugField(StrictTextMixin, serializers.SlugField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """Accept true or false (JSON booleans, or the words in a query string or form)."""

    default_error_messages = {"invalid": "Enter true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.strip().lower() in {"true", "false"}:
            return data.strip().lower() == "true"
        self.fail("invalid")


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "example": "+14155550123"},
        "description": "Phones in international format; stored in E.164.",
    }
)
class PhonesField(serializers.Field):
    """A list of phones (or one text separated by commas), normalised to E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return list(value or [])

    def to_internal_value(self, data):
        try:
            return normalize_phones(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_messages(error)) from None


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": (
            "Custom field values keyed by custom field name. Number: integer; Float: number; "
            "Line: text; Date: RFC 3339 (2019-08-22T00:00:00.000Z); Boolean: true/false; "
            "Enum: one of the field's options; IP: IPv4; Tags: a list, or one text separated "
            "by , | or ; . null or an empty value removes the value."
        ),
        "example": {"tariff_plan": "gold", "tags": ["vip", "newsletter"]},
    }
)
class CustomValuesField(serializers.Field):
    """The profile's custom values; the serializer checks them against the database."""

    default_error_messages = {"invalid": "Enter an object mapping custom field names to values."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return dict(value or {})

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string"},
        "description": "Enum options: a list, or one comma-separated text (enum fields only).",
    }
)
class OptionsField(serializers.Field):
    """Enum options given as a list or one comma-separated line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return list(value or [])

    def to_internal_value(self, data):
        try:
            return parse_options(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_messages(error)) from None


class VisibleDatabaseField(serializers.PrimaryKeyRelatedField):
    """A profile database the requesting user may see (others do not exist for them)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ProfileDatabase.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return ProfileDatabase.objects.none()
        return ProfileDatabase.objects.visible_to(request.user)

    def to_internal_value(self, data):
        known = self.context.get("database")
        if known is not None and not isinstance(data, bool) and str(data) == str(known.pk):
            return known
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
