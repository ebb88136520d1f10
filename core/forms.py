"""The form input of a custom field of any of the 8 types, for every form that edits values."""

from django import forms

from .fieldtypes import FieldType
from .text import bool_word

HELP = {
    FieldType.NUMBER: "A whole number, e.g. 42 or -7.",
    FieldType.FLOAT: "A number, e.g. 3.14.",
    FieldType.LINE: "",
    FieldType.DATE: "RFC 3339, e.g. 2019-08-22T00:00:00.000Z.",
    FieldType.BOOLEAN: "",
    FieldType.ENUM: "",
    FieldType.IP: "An IPv4 address, e.g. 127.0.0.1.",
    FieldType.TAGS: "Several values separated by “,”, “|” or “;”.",
}


def custom_form_field(definition):
    """Return the input of a custom field: text, or a choice for enum and boolean fields.

    It reads what was typed and nothing more: the value is checked with the others by the
    custom-value checker (``core.typedfields.check_values``).
    """
    choices = None
    if definition.type == FieldType.ENUM:
        choices = [("", "—"), *((option, option) for option in definition.options)]
    elif definition.type == FieldType.BOOLEAN:
        choices = [("", "—"), (bool_word(True), "Yes"), (bool_word(False), "No")]
    widget = forms.Select(choices=choices) if choices else forms.TextInput()
    help_text = HELP[definition.type]
    if definition.required:
        help_text = f"Required. {help_text}".strip()
    return forms.CharField(
        label=definition.display_label(),
        required=False,
        strip=definition.type != FieldType.LINE,
        widget=widget,
        help_text=help_text,
    )
