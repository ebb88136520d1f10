"""Message templates over a profile: ``{{ profile.first_name }}``, ``{{ profile.fields.plan }}``.

A template is rendered in a sandbox: an engine of its own with a safe set of tags and
filters (``interactions.sandbox``), no template loaders, and a context of plain values (the
profile's standard fields and a ``fields`` mapping of its custom values), so nothing but the
profile's data is reachable. A template that does not compile is a ValidationError when it is
saved; a name the profile does not have is refused then too, never rendered empty unnoticed.
"""

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import VariableNode

from core.fieldtypes import input_value
from profiles.fields import STANDARD_FIELDS

# The standard fields a message may name (the database and the avatar file are not text).
PROFILE_NAMES = {field.name for field in STANDARD_FIELDS} - {"database", "avatar"}
MAX_LENGTH = 100_000


class SandboxEngine(Engine):
    default_builtins = ["interactions.sandbox"]


ENGINE = SandboxEngine(loaders=[], autoescape=False, libraries={})


def compile_template(text, *, custom_names=()):
    """Return the compiled template, or raise ValidationError saying what is wrong with it."""
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"Ensure this has at most {MAX_LENGTH:,} characters.")
    try:
        template = ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise ValidationError(f"The template does not compile: {error}") from None
    unknown = sorted(_names(template) - _known(custom_names))
    if unknown:
        raise ValidationError(
            f"Unknown name {unknown[0]}: use profile.<standard field> or "
            "profile.fields.<custom field> of this database."
        )
    return template


def _known(custom_names):
    return {f"profile.{name}" for name in PROFILE_NAMES} | {
        f"profile.fields.{name}" for name in custom_names
    }


def _names(template):
    """The profile names a template prints (``profile.x``, ``profile.fields.y``), also as
    filter arguments; anything deeper (``profile.first_name.upper``) is a name of its own,
    so it is refused."""
    names = set()
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        expression = node.filter_expression
        variables = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
        for variable in variables:
            var = getattr(variable, "var", None)
            if isinstance(var, str) and var.split(".")[0] == "profile":
                names.add(var)
    return names


def profile_values(profile):
    """The plain values a template sees as ``profile``."""
    values = {name: _text(getattr(profile, name, "")) for name in PROFILE_NAMES}
    values["phones"] = ", ".join(profile.phones or [])
    custom = profile.custom_values or {}
    values["fields"] = {
        field.name: input_value(custom.get(field.name))
        for field in profile.database.custom_fields.all()
    }
    return values


def _text(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def render(text, profile):
    """Render ``text`` for ``profile``; a template that fails is a ValidationError."""
    custom_names = [field.name for field in profile.database.custom_fields.all()]
    template = compile_template(text, custom_names=custom_names)
    try:
        text = template.render(Context({"profile": profile_values(profile)}, autoescape=False))
    except Exception as error:  # a filter that raised: reported, never a 500
        raise ValidationError(f"The template could not be rendered: {error}") from None
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"The message is longer than {MAX_LENGTH:,} characters.")
    return text
