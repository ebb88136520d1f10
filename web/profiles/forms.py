"""Forms of the profile pages: a form per data tab, status, tab settings, avatar, new profile."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.forms.models import modelform_factory
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from PIL import Image

from core.fieldtypes import input_value
from core.forms import custom_form_field
from core.names import country_names, language_names
from core.status import Status
from core.text import normalize_phones
from profiles.fields import FIELDS_BY_NAME
from profiles.models import Profile, ProfileDatabase, check_profile_values

CUSTOM_PREFIX = "custom."


class CodeByNameInput(forms.TextInput):
    """A code typed as before, suggested by name as one types ("Fra" offers France, FR):
    a ``<datalist>`` of the known codes. A code the list lacks is still taken."""

    def __init__(self, names, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.names = names

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or name}-names"
        field = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join(
            "",
            '<option value="{}">{}</option>',
            sorted(self.names().items(), key=lambda item: item[1]),
        )
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


WIDGETS = {
    "country": CodeByNameInput(country_names, attrs={"maxlength": 2}),
    "reg_country": CodeByNameInput(country_names, attrs={"maxlength": 2}),
    "language": CodeByNameInput(language_names),
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


class ProfileFieldsForm(forms.ModelForm):
    """Edit a chosen set of standard fields plus custom fields of the profile's database.

    The form only reads what was typed; ``check_profile_values`` checks it all once (each
    standard field by its model field, custom values by the database's fields, the email
    unique in the database), and its errors are shown beside the fields they name.
    ``checked`` then holds the values to write.
    """

    class Meta:
        model = Profile
        fields = []

    def __init__(self, *args, custom_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = list(custom_fields)
        self.checked = None
        if "phones" in self.fields:
            self.fields["phones"] = PhonesField(label=FIELDS_BY_NAME["phones"].label)
        if "email" in self.fields and self.instance.pk and self.instance.has_fallback_email():
            self.initial["email"] = ""
        for name in self.fields:
            if name in FIELDS_BY_NAME:
                self.fields[name].label = FIELDS_BY_NAME[name].label
        for definition in self.custom_fields:
            key = CUSTOM_PREFIX + definition.name
            self.fields[key] = custom_form_field(definition)
            self.initial[key] = input_value(self.instance.custom_value(definition.name))

    def database(self):
        if "database" in self.fields:
            return self.cleaned_data.get("database")
        return self.instance.database

    def _post_clean(self):
        """Check the values the way every write does (instead of the model's full_clean)."""
        database = self.database()
        if database is None or self.errors:
            return
        values = {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.cleaned_data and name != "database"
        }
        if self.custom_fields:
            values["custom_values"] = {
                definition.name: self.cleaned_data.get(CUSTOM_PREFIX + definition.name, "")
                for definition in self.custom_fields
            }
        try:
            self.checked = check_profile_values(
                database, values, profile=self.instance if self.instance.pk else None
            )
        except ValidationError as error:
            self.add_write_errors(error)

    def add_write_errors(self, error):
        """Show the errors of a write's check (or of the write itself) beside their fields."""
        for key, messages in error.message_dict.items():
            if key.startswith("custom_values."):
                key = CUSTOM_PREFIX + key.removeprefix("custom_values.")
            self.add_error(key if key in self.fields else None, messages)

    def custom_bound_fields(self):
        return [self[CUSTOM_PREFIX + definition.name] for definition in self.custom_fields]

    def field_rows(self, keys):
        """Return the bound fields in the order of the tab's field keys."""
        return [self[key] for key in keys if key in self.fields]


def editable_standard_fields(keys):
    return [key for key in keys if key in FIELDS_BY_NAME and FIELDS_BY_NAME[key].editable]


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
    """The fields a tab shows, in order: checkboxes grouped by tab, and the chosen fields'
    order (``order``, as the form showed it) with a button moving one up or down (``move``).

    The cleaned ``fields`` keep the shown order, fields newly checked coming last (or, with
    no ``order`` posted, the order they were posted in); then ``move`` is applied.
    """

    fields = forms.MultipleChoiceField(
        label="Fields shown", required=False, widget=forms.CheckboxSelectMultiple
    )
    # Not checked against the choices: a field removed meanwhile drops out of the order.
    order = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    move = forms.CharField(required=False)

    def __init__(self, *args, database, **kwargs):
        super().__init__(*args, **kwargs)
        self.database = database
        self.fields["fields"].choices = database.field_choices()
        if "fields" in self.initial:
            self.initial.setdefault("order", self.initial["fields"])

    def groups(self):
        """Return (tab label, checkboxes) for the chooser, grouped by the tab of each field."""
        boxes = {box.data["value"]: box for box in self["fields"]}
        return [
            (label, [boxes[key] for key, _ in choices])
            for label, choices in self.database.field_groups()
        ]

    def ordered(self):
        """Return (key, label) of the chosen fields in the order the tab shows them."""
        labels = dict(self.fields["fields"].choices)
        keys = self["order"].value() or self["fields"].value() or []
        return [(key, labels[key]) for key in keys if key in labels]

    def clean(self):
        data = super().clean()
        chosen, shown = data.get("fields") or [], data.get("order") or []
        fields = [key for key in shown if key in chosen]
        fields += [key for key in chosen if key not in fields]
        key, _, direction = (data.get("move") or "").rpartition(":")
        if key in fields and direction in ("up", "down"):
            at = fields.index(key)
            to = at - 1 if direction == "up" else at + 1
            if 0 <= to < len(fields):
                fields[at], fields[to] = fields[to], fields[at]
        data["fields"] = fields
        return data

    def moved(self):
        """Return what the ``move`` button did, said for people (empty if none was pressed)."""
        key, _, direction = (self.cleaned_data.get("move") or "").rpartition(":")
        labels = dict(self.fields["fields"].choices)
        if key in self.cleaned_data["fields"] and direction in ("up", "down"):
            return f"“{labels[key]}” moved {direction}."
        return ""


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
