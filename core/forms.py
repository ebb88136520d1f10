"""The form input of a custom field of any of the 8 types, for every form that edits values."""

import re
from datetime import UTC, datetime

from django import forms
from django.utils import timezone

from .fieldtypes import FieldType, stored_moment
from .text import bool_word

HELP = {
    FieldType.NUMBER: "A whole number, e.g. 42 or -7.",
    FieldType.FLOAT: "A number, e.g. 3.14.",
    FieldType.LINE: "",
    FieldType.DATE: "",
    FieldType.BOOLEAN: "",
    FieldType.ENUM: "",
    FieldType.IP: "An IPv4 address, e.g. 127.0.0.1.",
    FieldType.TAGS: "Several values separated by “,”, “|” or “;”.",
}


# What a date-time picker sends: a local date and time, seconds optional, no offset.
PICKED_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", re.ASCII)


class MomentField(forms.CharField):
    """A date custom field as a date-time picker (``<input type=datetime-local>``).

    The picker shows a stored RFC 3339 value in the viewer's time zone and sends a local
    date and time back, turned into RFC 3339 (UTC) here; the custom-value checker then
    checks it as any other. A value typed in RFC 3339 passes through unchanged.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1})

    def prepare_value(self, value):
        moment = stored_moment(value)
        if moment is None:
            return value
        local = timezone.localtime(moment)
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")

    def to_python(self, value):
        value = super().to_python(value)
        if value and PICKED_RE.match(value):
            try:
                picked = datetime.fromisoformat(value)
            except ValueError:
                return value  # no such day: the checker says what it expects
            moment = timezone.make_aware(picked).astimezone(UTC)
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return value


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
    field_class = MomentField if definition.type == FieldType.DATE else forms.CharField
    widget = forms.Select(choices=choices) if choices else field_class.widget
    field = field_class(
        label=definition.display_label(),
        required=False,
        strip=definition.type != FieldType.LINE,
        widget=widget,
        help_text=HELP[definition.type],
    )
    # Marked with an asterisk (``includes/field.html``); the checker requires the value.
    field.marked_required = definition.required
    if definition.required:
        field.widget.attrs["aria-required"] = "true"
    return field
