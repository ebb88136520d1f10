"""The steps of a scenario: their types, what each holds, and the check of a list of them.

A step is a JSON object ``{"type": …, …}``:

- ``send_trigger {trigger}``: send a trigger mailing of the scenario's database;
- ``wait {seconds}``: the next step runs that many seconds later (at most a year);
- ``add_to_segment {segment}`` / ``remove_from_segment {segment}``: a static segment of the
  database;
- ``set_field {field, value}``: a standard field (not the email) or a custom field;
- ``exit``: the profile leaves the scenario there.

``clean_steps`` checks a list against a database and returns it normalised (ids as numbers),
or raises ValidationError naming the step and key (``steps[2].trigger``).
"""

from django.core.exceptions import ValidationError

from profiles.fields import EDITABLE
from profiles.models import Profile, check_profile_values

MAX_STEPS = 100
MAX_WAIT_SECONDS = 366 * 86_400
TYPES = {
    "send_trigger": ("trigger",),
    "wait": ("seconds",),
    "add_to_segment": ("segment",),
    "remove_from_segment": ("segment",),
    "set_field": ("field", "value"),
    "exit": (),
}
SETTABLE = [name for name in EDITABLE if name != "email"]


def clean_steps(steps, database):
    """Return the steps checked against ``database``; raise ValidationError({"steps": …})."""
    if not isinstance(steps, list):
        raise ValidationError({"steps": ["Enter a list of steps."]})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": [f"A scenario has at most {MAX_STEPS} steps."]})
    cleaned, errors = [], []
    for index, step in enumerate(steps):
        try:
            cleaned.append(clean_step(step, database))
        except ValidationError as error:
            errors.extend(f"steps[{index}]{message}" for message in error.messages)
    if errors:
        raise ValidationError({"steps": errors})
    return cleaned


def clean_step(step, database):
    """Return one step checked; an error message starts with the key it is about (".key: …")."""
    if not isinstance(step, dict):
        raise ValidationError(": Enter an object {type, …}.")
    kind = step.get("type")
    if not isinstance(kind, str) or kind not in TYPES:  # a list or an object is no type either
        raise ValidationError(f".type: Choose one of {', '.join(TYPES)} (not {kind!r}).")
    keys = TYPES[kind]
    unknown = sorted(set(step) - {"type", *keys})
    if unknown:
        raise ValidationError(f".{unknown[0]}: A {kind} step has no such key.")
    missing = [key for key in keys if key not in step]
    if missing:
        raise ValidationError(f".{missing[0]}: This key is required for a {kind} step.")
    return {"type": kind, **CLEANERS[kind](step, database)}


def _object_id(value, key):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f".{key}: Enter the id (a whole number).")
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f".{key}: Enter the id (a whole number).") from None


def _trigger(step, database):
    trigger_id = _object_id(step["trigger"], "trigger")
    if not database.triggers.filter(pk=trigger_id).exists():
        raise ValidationError(f".trigger: No trigger {trigger_id} in database “{database}”.")
    return {"trigger": trigger_id}


def _wait(step, database):
    seconds = step["seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError(".seconds: Enter a whole number of seconds.")
    if not 1 <= seconds <= MAX_WAIT_SECONDS:
        raise ValidationError(f".seconds: Wait from 1 to {MAX_WAIT_SECONDS:,} seconds (a year).")
    return {"seconds": seconds}


def _segment(step, database):
    segment_id = _object_id(step["segment"], "segment")
    if not database.segments.filter(pk=segment_id).exists():
        raise ValidationError(f".segment: No static segment {segment_id} in database “{database}”.")
    return {"segment": segment_id}


def _field(step, database):
    name, value = step["field"], step["value"]
    if not isinstance(name, str):
        raise ValidationError(".field: Enter a field name.")
    custom = {field.name for field in database.custom_fields.all()}
    if name in SETTABLE:
        values = {name: value}
    elif name in custom:
        values = {"custom_values": {name: value}}
    else:
        raise ValidationError(
            f".field: Unknown field {name!r}: a standard field (not the email) or a custom "
            f"field of database “{database}”."
        )
    try:
        check_profile_values(database, values, profile=Profile(database=database))
    except ValidationError as error:
        message = next(iter(error.message_dict.values()))[0]
        raise ValidationError(f".value: {message}") from None
    except (TypeError, ValueError):  # a JSON type the field cannot read (a date as a number)
        raise ValidationError(f".value: Not a valid value for {name}.") from None
    return {"field": name, "value": value}


def _exit(step, database):
    return {}


CLEANERS = {
    "send_trigger": _trigger,
    "wait": _wait,
    "add_to_segment": _segment,
    "remove_from_segment": _segment,
    "set_field": _field,
    "exit": _exit,
}


def describe(step, names=None):
    """A step in words: "Send trigger 3", "Wait 2 days"… (``names`` maps
    ("trigger", id) / ("segment", id) to a name, when the caller has them)."""
    names = names or {}
    kind = step.get("type")
    if kind == "send_trigger":
        return f"Send “{names.get(('trigger', step['trigger']), step['trigger'])}”"
    if kind == "wait":
        return f"Wait {duration(step['seconds'])}"
    if kind in ("add_to_segment", "remove_from_segment"):
        name = names.get(("segment", step["segment"]), step["segment"])
        return f"{'Add to' if kind == 'add_to_segment' else 'Remove from'} segment “{name}”"
    if kind == "set_field":
        return f"Set {step['field']} to {step['value']!r}"
    return "Exit"


def duration(seconds):
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
