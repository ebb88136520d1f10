"""Custom field definitions of the eight types, and the one checker of a dict of their values.

Profiles (``profiles.CustomField``, per database) and subscriptions
(``subscriptions.SubscriptionField``, per resource) define custom fields alike: a
``TypedField``. Their values are held as a JSON object keyed by field name and checked by
``check_values``, whose errors are keyed by field name with messages that do not repeat it
(``{"plan": ["Enter one of: bronze, gold."]}``).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models

from .fieldtypes import FieldType, clean_options, clean_value, is_empty
from .text import field_name_validator, validate_text


class TypedField(models.Model):
    """A custom field definition: a name, one of the 8 types, enum options.

    A concrete field says where its values are held: ``holders(values=None)`` returns the
    objects holding a value for it (or one of ``values``).
    """

    name = models.CharField(max_length=63, validators=[field_name_validator])
    label = models.CharField(max_length=200, blank=True, validators=[validate_text])
    type = models.CharField(max_length=10, choices=FieldType.choices)
    options = models.JSONField(default=list, blank=True, help_text="Enum options.")
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def clean(self):
        try:
            self.options = clean_options(self.type, self.options)
        except ValidationError as error:
            raise ValidationError({"options": error.messages}) from None

    def clean_value(self, value):
        """Return the value normalised for this field's type, or raise ValidationError."""
        return clean_value(self.type, value, self.options)

    def display_label(self):
        return self.label or self.name

    def held_value_errors(self, name, field_type, options):
        """Return errors (by attribute) for a change that would strand the values held.

        While objects hold a value for the field it keeps its name and type, and keeps the
        enum options in use: a value must never stop matching its definition.
        """
        if not self.pk:
            return {}
        renamed, retyped = name != self.name, field_type != self.type
        if renamed or retyped:
            count = self.holders().count()
            if count:
                holders = f"{count} {self._holder_name(count)}"
                return {
                    "name" if renamed else "type": [
                        f"{holders} {'holds' if count == 1 else 'hold'} a value for "
                        f"“{self.name}”; create a new field instead of renaming it or "
                        "changing its type."
                    ]
                }
        elif field_type == FieldType.ENUM:
            removed = [option for option in self.options if option not in options]
            if removed and self.holders(removed).exists():
                return {
                    "options": [
                        f"Some {self._holder_name(2)} hold removed options "
                        f"({', '.join(removed)}); "
                        "change their values first."
                    ]
                }
        return {}

    def _holder_name(self, count):
        meta = self.holders().model._meta
        return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)


def check_values(definitions, values, *, current=None, owner=""):
    """Return (cleaned, errors) for custom values checked against their field definitions.

    ``definitions`` are the custom fields (of one database or resource). Without
    ``current`` the values replace all held values (a create, a PUT); with it they change
    only the fields they name (a PATCH). A value of None, "" or [] removes the field's value.
    ``errors`` maps each bad field name to its messages; a required field left without a
    value is one; "" names a problem with the whole object. ``owner`` ("database “Shop”")
    tells where an unknown field was looked for.
    """
    if not isinstance(values, dict):
        return {}, {"": ["Enter an object mapping field names to values."]}
    by_name = {definition.name: definition for definition in definitions}
    cleaned = dict(current) if current is not None else {}
    errors = {}
    for name, value in values.items():
        definition = by_name.get(name)
        if definition is None:
            errors[name] = [f"No such field in {owner}." if owner else "No such field."]
        elif is_empty(value):
            cleaned.pop(name, None)
        else:
            try:
                cleaned[name] = definition.clean_value(value)
            except ValidationError as error:
                errors[name] = error.messages
    for name, definition in by_name.items():
        if definition.required and is_empty(cleaned.get(name)) and name not in errors:
            errors[name] = ["This field is required."]
    return cleaned, errors


@dataclass(frozen=True)
class ValuesChange:
    """Checked custom values to write: those to set and those to remove, or a whole new set.

    Applied to the values held when the write takes its lock, so two requests changing
    different fields of one object both keep their change.
    """

    values: dict
    removed: frozenset = field(default_factory=frozenset)
    replace: bool = False

    def applied_to(self, current):
        """Return the values held after this change of ``current``."""
        if self.replace:
            return dict(self.values)
        kept = {name: value for name, value in (current or {}).items() if name not in self.removed}
        return kept | self.values


def check_change(definitions, values, *, current=None, owner=""):
    """Check custom values as ``check_values`` does; return (``ValuesChange``, errors).

    Without ``current`` the change replaces every value held; with it, it sets and removes
    only the fields ``values`` names.
    """
    cleaned, errors = check_values(definitions, values, current=current, owner=owner)
    if errors:
        return None, errors
    if current is None:
        return ValuesChange(cleaned, replace=True), {}
    given = {name: cleaned[name] for name in values if name in cleaned}
    removed = frozenset(name for name, value in values.items() if is_empty(value))
    return ValuesChange(given, removed), {}


def named_messages(errors):
    """Return the checker's errors as one list of messages, each naming its field
    (for a single box holding every value, such as the admin's JSON field)."""
    return [
        f"{name}: {message}" if name else message
        for name, messages in errors.items()
        for message in messages
    ]


def keyed_errors(errors, field="custom_values"):
    """Return the checker's errors keyed as a model's ValidationError files them: a field's
    under ``custom_values.<name>``, the whole object's under ``custom_values``."""
    return {f"{field}.{name}" if name else field: messages for name, messages in errors.items()}
