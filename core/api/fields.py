"""Serializer fields of the API: strict types (no silent coercion) and the JSON shapes of
phones, custom values and enum options."""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from core import scoping
from core.fieldtypes import parse_options
from core.text import normalize_phones, parse_bool


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
        value = parse_bool(data)
        if value is None:
            self.fail("invalid")
        return value


class NormalisedListField(serializers.Field):
    """A list, or one text listing the items, read through ``normalise`` (a core normaliser)."""

    normalise = None

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        """A form-encoded body may repeat the key: every value is taken, none dropped."""
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values if len(values) > 1 else values[0]
        return super().get_value(dictionary)

    def to_representation(self, value):
        return list(value or [])

    def to_internal_value(self, data):
        try:
            return type(self).normalise(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_messages(error)) from None


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "example": "+14155550123"},
        "description": "Phones in international format; stored in E.164.",
    }
)
class PhonesField(NormalisedListField):
    """A list of phones (or one text separated by commas), normalised to E.164."""

    normalise = staticmethod(normalize_phones)


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
class OptionsField(NormalisedListField):
    """Enum options given as a list or one comma-separated line."""

    normalise = staticmethod(parse_options)


class DomainCheckedMixin:
    """A field that reads its value's type and leaves the model field's rules to the domain's
    check of the whole write (which runs them once, with the other rules); the schema still
    documents them."""

    def __init__(self, *args, domain_validators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.domain_validators = list(domain_validators)
        self.validators = [*self.validators, *self.domain_validators]

    def run_validators(self, value):
        documented = self.validators
        self.validators = [v for v in documented if v not in self.domain_validators]
        try:
            super().run_validators(value)
        finally:
            self.validators = documented


@functools.cache
def domain_checked(field_class):
    """Return ``field_class`` reading types only (see ``DomainCheckedMixin``)."""
    return type(field_class.__name__, (DomainCheckedMixin, field_class), {})


class IdField(serializers.PrimaryKeyRelatedField):
    """An object named by its id: a JSON integer or a numeric string (never true/false)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class VisibleIdField(IdField):
    """An object of a profile database the requesting user may see, by its id; the others
    do not exist for them (``core.scoping.visible``):

        pool = VisibleIdField(PromoPool, help_text="…")

    With ``name_field``, its name names it too: a text that is not a whole number (or a
    whole number no visible object has as id) is looked up by that field among the objects
    of the serializer's context ``database`` (every visible one without it; a name two of
    them share is then an error asking for the id):

        type = VisibleIdField(RelationType, name_field="name")
    """

    default_error_messages = {
        "no_name": "No {model} named “{name}”{where}: give the id or the name of one.",
        "several_names": "Several {model}s are named “{name}”: give the id of one.",
    }

    def __init__(self, model, database="database", name_field=None, **kwargs):
        self.model, self.database_lookup, self.name_field = model, database, name_field
        kwargs.setdefault("queryset", model._default_manager.all())  # the model, for the schema
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model._default_manager.none()
        rows = self.model._default_manager.select_related(self.database_lookup)
        return scoping.visible(rows, request.user, self.database_lookup)

    def to_internal_value(self, data):
        if self.name_field is None or not isinstance(data, str) or not data.strip():
            return super().to_internal_value(data)
        if data.strip().isdigit():
            try:
                return super().to_internal_value(data)
            except serializers.ValidationError:
                if not self._named(data.strip()):
                    raise
        return self._by_name(data.strip())

    def _named(self, name):
        rows = self.get_queryset().filter(**{self.name_field: name})
        database = self.context.get("database")
        if database is not None:
            rows = rows.filter(**{self.database_lookup: database})
        return list(rows[:2])

    def _by_name(self, name):
        found = self._named(name)
        if len(found) == 1:
            return found[0]
        model = self.model._meta.verbose_name
        if found:
            self.fail("several_names", model=model, name=name)
        database = self.context.get("database")
        where = f" in database “{database}”" if database is not None else ""
        self.fail("no_name", model=model, name=name, where=where)
