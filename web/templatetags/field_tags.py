"""The shared field include's messages (``includes/field.html``): errors as people read them.

A check's message may begin with the field's internal name or label ("custom_values.size:
…", "Avatar: …"), which the field beside it already shows; and a field with an error shows
the error in place of its help text, since the messages name what is expected (the help
would repeat it).
"""

import re

from django import template

register = template.Library()


def _prefixes(field):
    names = {field.name, field.html_name, str(field.label or "")}  # a label may be lazy
    # A custom field's form key ("custom.size", "field_size") and the checker's key.
    custom = field.name.split(".", 1)[-1].removeprefix("field_")
    names |= {custom, f"custom_values.{custom}"}
    return sorted((name for name in names if name), key=len, reverse=True)


def without_prefix(message, field):
    """Return ``message`` without a leading "<field name or label>: ", capitalised."""
    text = str(message)
    for name in _prefixes(field):
        match = re.match(rf"{re.escape(name)}\s*:\s*", text, re.IGNORECASE)
        if match and len(text) > match.end():
            text = text[match.end() :]
            return text[:1].upper() + text[1:]
    return text


@register.simple_tag
def field_notes(field):
    """Return {errors, help, required} of a bound field for the include."""
    errors = [without_prefix(error, field) for error in field.errors]
    return {
        "errors": errors,
        "help": "" if errors else field.help_text,
        "required": field.field.required or getattr(field.field, "marked_required", False),
    }
