"""Forms of the profile pages: a form per data tab, status, tab settings, avatar, new profile."""

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.forms.models import modelform_factory
from django.template.defaultfilters import filesizeformat
from PIL import Image

from .fieldtypes import FieldType
from .models import Profile, ProfileDatabase, Status, normalize_phones
from .tabs import STANDARD_FIELDS

CUSTOM_PREFIX = "custom."
CUSTOM_HELP = {
    FieldType.NUMBER: "A whole number, e.g. 42 or -7.",
    FieldType.FLOAT: "A number, e.g. 3.14.",
    FieldType.LINE: "",
    FieldType.DATE: "RFC 3339, e.g. 2019-08-22T00:00:00.000Z.",
    FieldType.BOOLEAN: "",
    FieldType.ENUM: "",
    FieldType.IP: "An IPv4 address, e.g. 127.0.0.1.",
    FieldType.TAGS: "Several values separated by “,”, “|” or “;”.",
}
WIDGETS = {
    "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "reg_date": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "latitude": forms.NumberInput(attrs={"step": "0.000001", "min": "-90", "max": "90"}),
    "longitude": forms.NumberInput(attrs={"step": "0.000001", "min": "-180", "max": "180"}),
}
AVATAR_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
AVATAR_ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
AVATAR_MAX_PIXELS = 40_000_000


class PhonesField(forms.CharField):
    """Phones typed as one text (comma or newline separated), cleaned to a list in E.164."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "International format, one per line or comma-separated: +14155550123."
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return normalize_phones(super().to_python(value))


def custom_form_field(definition):
    """Return a text input for a custom field; its value is checked by the field's validator."""
    choices = None
    if definition.type == FieldType.ENUM:
        choices = [("", "—"), *((option, option) for option in definition.options)]
    elif definition.type == FieldType.BOOLEAN:
        choices = [("", "—"), ("true", "Yes"), ("false", "No")]
    widget = forms.Select(choices=choices) if choices else forms.TextInput()
    help_text = CUSTOM_HELP[definition.type]
    if definition.required:
        help_text = f"Required. {help_text}".strip()
    return forms.CharField(
        label=definition.display_label(),
        required=False,
        strip=definition.type != FieldType.LINE,
        widget=widget,
        help_text=help_text,
    )


def custom_initial(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


class ProfileFieldsForm(forms.ModelForm):
    """Edit a chosen set of standard fields plus custom fields of the profile's database.

    Standard fields are validated by the model; custom values only by
    ``ProfileDatabase.clean_custom_values`` (one validator per type), with each error shown
    on its field.
    """

    class Meta:
        model = Profile
        fields = []

    def __init__(self, *args, custom_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = list(custom_fields)
        self.custom_values = None
        if "phones" in self.fields:
            self.fields["phones"] = PhonesField(label=STANDARD_FIELDS["phones"].label)
        if "email" in self.fields and self.instance.pk and self.instance.has_fallback_email():
            self.initial["email"] = ""
        for name in self.fields:
            if name in STANDARD_FIELDS:
                self.fields[name].label = STANDARD_FIELDS[name].label
        for definition in self.custom_fields:
            key = CUSTOM_PREFIX + definition.name
            self.fields[key] = custom_form_field(definition)
            self.initial[key] = custom_initial(self.instance.custom_value(definition.name))

    def database(self):
        if "database" in self.fields:
            return self.cleaned_data.get("database")
        return self.instance.database

    def clean(self):
        cleaned_data = super().clean()
        database = self.database()
        if database is None:
            return cleaned_data
        email = cleaned_data.get("email")
        if email:
            email = email.strip().lower()
            others = Profile.objects.filter(database=database, email=email)
            if others.exclude(pk=self.instance.pk).exists():
                self.add_error("email", f"Another profile of “{database}” has the email {email}.")
        if self.custom_fields:
            values = {
                definition.name: cleaned_data.get(CUSTOM_PREFIX + definition.name, "")
                for definition in self.custom_fields
            }
            current = self.instance.custom_values if self.instance.pk else {}
            cleaned, errors = database.clean_custom_values(values, partial=True, current=current)
            for name, messages in errors.items():
                key = CUSTOM_PREFIX + name
                self.add_error(key if key in self.fields else None, messages)
            if not errors:
                self.custom_values = cleaned
        return cleaned_data

    def _post_clean(self):
        if self.custom_values is not None:
            self.instance.custom_values = self.custom_values
        super()._post_clean()

    def _update_errors(self, errors):
        """Show model errors about fields this form lacks (e.g. custom_values) above the form."""
        if hasattr(errors, "error_dict"):
            remapped = {}
            for name, messages in errors.error_dict.items():
                key = name if name in self.fields else NON_FIELD_ERRORS
                remapped.setdefault(key, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)

    def changed_fields(self):
        """Return the model fields this form changed (custom values count as custom_values)."""
        changed = [name for name in self.changed_data if not name.startswith(CUSTOM_PREFIX)]
        if any(name.startswith(CUSTOM_PREFIX) for name in self.changed_data):
            changed.append("custom_values")
        return changed

    def custom_bound_fields(self):
        return [self[CUSTOM_PREFIX + definition.name] for definition in self.custom_fields]

    def field_rows(self, keys):
        """Return the bound fields in the order of the tab's field keys."""
        return [self[key] for key in keys if key in self.fields]


def editable_standard_fields(keys):
    return [
        key
        for key in keys
        if key in STANDARD_FIELDS
        and STANDARD_FIELDS[key].editable
        and not key.startswith(CUSTOM_PREFIX)
    ]


def tab_form(profile, tab, data=None):
    """Build the form of exactly one data tab's fields (standard and custom)."""
    standard = editable_standard_fields(tab.fields)
    definitions = {CUSTOM_PREFIX + f.name: f for f in profile.database.custom_fields.all()}
    custom = [definitions[key] for key in tab.fields if key in definitions]
    form_class = modelform_factory(
        Profile,
        form=ProfileFieldsForm,
        fields=standard,
        widgets={k: w for k, w in WIDGETS.items() if k in standard},
    )
    return form_class(data, instance=profile, custom_fields=custom)


NEW_PROFILE_FIELDS = ["database", "email", "phones", "first_name", "middle_name", "last_name"]


def new_profile_form(user, data=None, database=None):
    """Build the "Add profile" form: standard fields, status and the database's custom fields."""
    form_class = modelform_factory(
        Profile, form=ProfileFieldsForm, fields=[*NEW_PROFILE_FIELDS, "status"]
    )
    custom = list(database.custom_fields.all()) if database else []
    form = form_class(data, instance=Profile(), custom_fields=custom)
    form.fields["database"].queryset = ProfileDatabase.objects.visible_to(user)
    form.fields["database"].label = "Profile database"
    if database is not None:
        form.initial["database"] = database.pk
    return form


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Global status", choices=Status.choices)


class DefaultTabForm(forms.Form):
    default_tab = forms.ChoiceField(label="Open by default")

    def __init__(self, *args, tabs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_tab"].choices = [(tab.slug, tab.label) for tab in tabs]


class TabFieldsForm(forms.Form):
    fields = forms.MultipleChoiceField(
        label="Fields shown", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, database, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = database.field_choices()


class NewTabForm(TabFieldsForm):
    label = forms.CharField(label="Tab name", max_length=60)

    field_order = ["label", "fields"]


def add_model_errors(form, error):
    """Put a model's ValidationError on the form: known fields by name, the rest on top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label="Avatar",
        help_text="PNG, JPEG, GIF or WebP.",
        widget=forms.FileInput(attrs={"accept": AVATAR_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.AVATAR_MAX_BYTES)
        self.fields["avatar"].help_text = f"PNG, JPEG, GIF or WebP, at most {limit}."

    def clean_avatar(self):
        upload = self.cleaned_data["avatar"]
        limit = settings.AVATAR_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"Avatar: the file is {filesizeformat(upload.size)}; "
                f"the limit is {filesizeformat(limit)}."
            )
        message = "Avatar: upload a PNG, JPEG, GIF or WebP image."
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                image_format = image.format
                width, height = image.size
                image.verify()
        except Exception:  # Pillow raises many kinds of errors for files it cannot read
            raise ValidationError(f"{message} This file is not an image.") from None
        if image_format not in AVATAR_FORMATS:
            raise ValidationError(f"{message} This file is {image_format}.")
        if width * height > AVATAR_MAX_PIXELS:
            raise ValidationError(f"Avatar: the image is {width} by {height} pixels; too large.")
        upload.seek(0)
        return ContentFile(upload.read(), name=f"avatar.{AVATAR_FORMATS[image_format]}")
