"""Forms and their submissions.

A form of a profile database lists its fields, each mapped to a profile field: a standard
one (``first_name``) or a custom one (``fields.<name>``). A submission is matched to a
profile by the email its fields carry (``operations.webforms.submit``): the profile is
created or updated with the mapped values, its UTM tags follow the submission's when the
form says so, and the submission is kept with all its data.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.jsonvalues import TolerantDecoder, depth, encoded_size
from core.text import check_text, validate_text
from profiles.fields import EDITABLE

CUSTOM_PREFIX = "fields."
MAX_FIELDS = 100
FIELD_NAME_MAX_LENGTH = 100
# A submission: a web form's values, not a document.
DATA_MAX_BYTES = 64 * 1024
DATA_MAX_DEPTH = 4
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def standard_targets():
    """The standard profile fields a form field may fill in."""
    return [name for name in EDITABLE if name != "status"]


class Form(models.Model):
    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="forms"
    )
    fields = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"name": …, "maps_to": …}: maps_to is a standard profile field '
        "(email, first_name…) or fields.<custom field>; it defaults to the name. One field "
        "must map to email: submissions are matched by it.",
    )
    update_utm = models.BooleanField(
        "update UTM data to profile",
        default=False,
        help_text="A submission's UTM tags (utm_source … utm_content) become the profile's.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_form_name")
        ]
        permissions = [("submit_form", "Can submit a form for a visitor (forms/{id}/submit/)")]

    def __str__(self):
        return self.name

    def clean(self):
        """Each field has a name and maps to a field the database has, each target once,
        and one maps to the email (a submission is matched by it)."""
        custom = set()
        if self.database_id:
            custom = set(self.database.custom_fields.values_list("name", flat=True))
        fields, errors = normalised_fields(self.fields, custom)
        if errors:
            raise ValidationError({"fields": errors})
        self.fields = fields

    def email_field(self):
        """The name of the field mapped to the email."""
        return next((f["name"] for f in self.fields if f["maps_to"] == "email"), None)


def normalised_fields(fields, custom_names):
    """Return (fields with ``maps_to`` filled in, error messages) for a form's field list."""
    if not isinstance(fields, list):
        return fields, ['Enter a list of {"name": …, "maps_to": …}.']
    if len(fields) > MAX_FIELDS:
        return fields, [f"A form has at most {MAX_FIELDS} fields."]
    standard = standard_targets()
    result, errors, names, targets = [], [], set(), {}
    for index, item in enumerate(fields):
        where = f"fields[{index}]"
        if not isinstance(item, dict):
            errors.append(f'{where}: enter an object {{"name": …, "maps_to": …}}.')
            continue
        unknown = sorted(set(item) - {"name", "maps_to"})
        if unknown:
            errors.append(f"{where}: unknown key {unknown[0]}; use name and maps_to.")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > FIELD_NAME_MAX_LENGTH:
            errors.append(f"{where}.name: enter a name of 1 to {FIELD_NAME_MAX_LENGTH} characters.")
            continue
        try:
            check_text(name)
        except ValidationError as error:
            errors.append(f"{where}.name: {error.messages[0]}")
            continue
        if name in names:
            errors.append(f"{where}.name: the form already has a field “{name}”.")
            continue
        names.add(name)
        maps_to = item.get("maps_to")
        if maps_to is None or maps_to == "":
            maps_to = name
        if not isinstance(maps_to, str):
            errors.append(f"{where}.maps_to: enter a profile field name as text.")
            continue
        if maps_to.startswith(CUSTOM_PREFIX):
            if maps_to[len(CUSTOM_PREFIX) :] not in custom_names:
                shown = ", ".join(sorted(custom_names)) or "none"
                errors.append(
                    f"{where}.maps_to: the database has no custom field "
                    f"“{maps_to[len(CUSTOM_PREFIX) :]}” (its custom fields: {shown})."
                )
                continue
        elif maps_to not in standard:
            errors.append(
                f"{where}.maps_to: “{maps_to}” is not a profile field; use one of "
                f"{', '.join(standard)} or fields.<custom field>."
            )
            continue
        if maps_to in targets:
            errors.append(f"{where}.maps_to: field “{targets[maps_to]}” already maps to {maps_to}.")
            continue
        targets[maps_to] = name
        result.append({"name": name, "maps_to": maps_to})
    if not errors and "email" not in targets:
        errors.append(
            "Map one field to email: a submission is matched to its profile by the email."
        )
    return result, errors


def data_errors(value, name):
    """Return the errors of a submission's JSON object ``name`` (``data`` or ``utm``)."""
    if not isinstance(value, dict):
        return ["Enter a JSON object."]
    if depth(value) > DATA_MAX_DEPTH:
        return [f"It nests {depth(value)} levels; at most {DATA_MAX_DEPTH}."]
    if encoded_size(value) > DATA_MAX_BYTES:
        return [f"It takes {encoded_size(value):,} bytes as JSON; at most {DATA_MAX_BYTES:,}."]
    return []


class Submission(models.Model):
    """A form as a visitor filled it in: every value sent, mapped or not."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="form_submissions"
    )
    data = models.JSONField(default=dict, blank=True, decoder=TolerantDecoder)
    utm = models.JSONField("UTM", default=dict, blank=True)
    anonymous_id = models.CharField(max_length=200, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["profile", "-submitted_at", "-id"], name="submission_newest_first"
            ),
            # A visitor's submissions (the admin's search), of those sent with an id only.
            models.Index(
                fields=["anonymous_id"],
                condition=~models.Q(anonymous_id=""),
                name="submission_anonymous_id",
            ),
        ]

    def __str__(self):
        return f"{self.form} at {self.submitted_at:%Y-%m-%d %H:%M}"
