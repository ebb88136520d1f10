"""The Add subscription form and the inline row form of the Subscriptions section.

The forms only collect input: every value is checked once, by
``check_new_subscription`` / ``check_subscription_change`` (through the operations), whose
errors are put beside the fields they name.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from core.fieldtypes import input_value, is_empty
from core.forms import custom_form_field
from core.status import Status
from core.text import whole_number
from operations.subscriptions import subscribe, update_subscription
from subscriptions.models import (
    DEVICE_FIELDS,
    UNSET,
    Category,
    Channel,
    Resource,
    Subscription,
)

CUSTOM_PREFIX = "field_"
REGISTRATION_FIELDS = ["reg_ip", "reg_source"]


def _apply_errors(form, error):
    """Put a ValidationError of the checks beside the form fields it names."""
    for key, messages in error.message_dict.items():
        if key.startswith("custom_values."):
            key = CUSTOM_PREFIX + key.removeprefix("custom_values.")
        field = key if key in form.fields else None
        for message in messages:
            form.add_error(field, message)


class CategoriesField(forms.ModelMultipleChoiceField):
    """Categories chosen by id. An id that is not a whole number of 64 bits is an invalid
    value: Django would pass it on to an IN query, which SQLite cannot bind (a 500)."""

    def _check_values(self, value):
        for pk in value:
            if whole_number(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class SubscriptionForm(forms.Form):
    """Add subscription: resource → channel → contact, status, priority, categories, fields."""

    resource = forms.ModelChoiceField(
        queryset=Resource.objects.all(), empty_label="Choose a resource…"
    )
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(), to_field_name="slug", empty_label="Choose a channel…"
    )
    contact = forms.CharField(
        label="Contact data",
        max_length=1024,
        strip=False,
        help_text="Email address, phone in international format, device token or identifier.",
        error_messages={"required": "Enter the contact data."},
    )
    status = forms.ChoiceField(choices=Status.choices, initial=Status.SUBSCRIBED)
    priority = forms.CharField(
        required=False,
        widget=forms.NumberInput(attrs={"step": 1}),
        help_text="The lower the number, the higher the priority. Empty: the resource's rule.",
    )
    categories = CategoriesField(
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Subscribed categories",
    )

    def __init__(self, *args, resource=None, add_url="", **kwargs):
        super().__init__(*args, **kwargs)
        if resource is None and self.is_bound:
            resource = self._resource_from_data()
        self.chosen_resource = resource
        if add_url:
            # Choosing a resource reloads the form with its channels, categories and fields.
            self.fields["resource"].widget.attrs.update(
                {
                    "hx-get": add_url,
                    "hx-trigger": "change",
                    "hx-target": "#subscription-add-form",
                    "hx-swap": "outerHTML",
                }
            )
        if resource is not None:
            self.fields["resource"].initial = resource.pk
            channels = list(resource.channels.all())
            self.fields["channel"].queryset = resource.channels.all()
            if len(channels) == 1:
                self.fields["channel"].initial = channels[0].slug
            self.fields["categories"].queryset = resource.categories.all()
        self.fields["categories"].label_from_instance = lambda category: category.name
        device = forms.fields_for_model(Subscription, fields=DEVICE_FIELDS + REGISTRATION_FIELDS)
        for name, field in device.items():
            field.required = False
            self.fields[name] = field
        self.custom_definitions = list(resource.fields.all()) if resource else []
        for definition in self.custom_definitions:
            self.fields[CUSTOM_PREFIX + definition.name] = custom_form_field(definition)

    def _resource_from_data(self):
        value = self.data.get(self.add_prefix("resource"))
        if not value or whole_number(str(value)) is None:
            return None
        return Resource.objects.filter(pk=value).first()

    def device_fields(self):
        return [self[name] for name in DEVICE_FIELDS]

    def device_errors(self):
        """Whether a device or registration field has an error (its group then opens)."""
        return any(self.errors.get(name) for name in DEVICE_FIELDS + REGISTRATION_FIELDS)

    def registration_fields(self):
        return [self[name] for name in REGISTRATION_FIELDS]

    def custom_fields(self):
        return [self[CUSTOM_PREFIX + d.name] for d in self.custom_definitions]

    def subscribe(self, profile):
        """Add the subscription; return it, or None with the errors set beside the fields."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            result = subscribe(
                profile,
                resource=data["resource"],
                channel=data["channel"],
                contact=data["contact"],
                status=data["status"],
                priority=data["priority"],
                categories=list(data["categories"]),
                custom_values={
                    d.name: data.get(CUSTOM_PREFIX + d.name) for d in self.custom_definitions
                },
                device={name: data[name] for name in DEVICE_FIELDS if not is_empty(data.get(name))},
                registration={name: data.get(name) for name in REGISTRATION_FIELDS},
            )
        except ValidationError as error:
            _apply_errors(self, error)
            return None
        self.replaced = result.replaced  # the old subscriptions a limit made it replace
        return result.subscription


class _RowWidget:
    """A widget drawn in Python, not by a template per widget (and per option): the section
    draws one row form per subscription, up to 200 of them. The markup is Django's own."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        return self.html(widget)


class _RowSelect(_RowWidget, forms.Select):
    _options = {}  # (choices, selected) -> the options' markup, built once

    def html(self, widget):
        options = [o for _, group, _ in widget["optgroups"] for o in group]
        key = tuple((o["value"], str(o["label"]), o["selected"]) for o in options)
        markup = self._options.get(key)
        if markup is None:
            markup = self._options[key] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((value, " selected" if selected else "", label) for value, label, selected in key),
            )
        attrs = flatatt({"name": widget["name"], **widget["attrs"]})
        return format_html("<select{}>{}</select>", attrs, markup)


class _RowInput(_RowWidget):
    def html(self, widget):
        attrs = {"type": widget["type"], "name": widget["name"]}
        if widget["value"] is not None:
            attrs["value"] = str(widget["value"])
        return format_html("<input{}>", flatatt(attrs | widget["attrs"]))


class _RowNumberInput(_RowInput, forms.NumberInput):
    pass


class _RowDateTimeInput(_RowInput, forms.DateTimeInput):
    pass


class RowForm(forms.Form):
    """The inline change of one subscription's status, priority and end of suspension."""

    status = forms.ChoiceField(choices=Status.choices, widget=_RowSelect)
    priority = forms.CharField(widget=_RowNumberInput(attrs={"step": 1}))
    suspended_until = forms.DateTimeField(
        label="Suspended until",
        required=False,
        widget=_RowDateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Subscribed again from then on. Empty: until someone changes it.",
    )

    def __init__(self, *args, subscription, **kwargs):
        kwargs.setdefault("prefix", f"s-{subscription.public_id}")
        kwargs.setdefault(
            "initial",
            {
                "status": subscription.status,
                "priority": subscription.priority,
                "suspended_until": subscription.suspended_until,
            },
        )
        super().__init__(*args, **kwargs)
        self.subscription = subscription

    def shows_until(self):
        """Whether the until-date is asked for: on a suspended subscription (or its error)."""
        status = self["status"].value()
        return status == Status.SUSPENDED or bool(self.errors.get("suspended_until"))

    def save(self):
        """Apply the change; return True, or False with the errors set beside the fields."""
        if not self.is_valid():
            return False
        suspended = self.cleaned_data["status"] == Status.SUSPENDED
        try:
            update_subscription(
                self.subscription,
                status=self.cleaned_data["status"],
                priority=self.cleaned_data["priority"],
                # Leaving "suspended" drops the date (the field may still hold the old one).
                suspended_until=self.cleaned_data["suspended_until"] if suspended else UNSET,
            )
        except ValidationError as error:
            _apply_errors(self, error)
            return False
        return True


class FieldsForm(forms.Form):
    """Change a subscription's device fields and its resource's custom fields after creation."""

    def __init__(self, *args, subscription, **kwargs):
        kwargs.setdefault("prefix", f"f-{subscription.public_id}")
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        for name, field in forms.fields_for_model(Subscription, fields=DEVICE_FIELDS).items():
            field.required = False
            self.fields[name] = field
            self.initial[name] = getattr(subscription, name)
        self.custom_definitions = list(subscription.resource.fields.all())
        for definition in self.custom_definitions:
            key = CUSTOM_PREFIX + definition.name
            self.fields[key] = custom_form_field(definition)
            self.initial[key] = input_value((subscription.custom_values or {}).get(definition.name))

    def device_fields(self):
        return [self[name] for name in DEVICE_FIELDS]

    def custom_fields(self):
        return [self[CUSTOM_PREFIX + d.name] for d in self.custom_definitions]

    def save(self):
        """Write the fields (history records which changed); return True, or False with the
        errors beside the fields."""
        if not self.is_valid():
            return False
        data = self.cleaned_data
        try:
            update_subscription(
                self.subscription,
                device={name: data[name] for name in DEVICE_FIELDS},
                custom_values={
                    d.name: data.get(CUSTOM_PREFIX + d.name) for d in self.custom_definitions
                },
            )
        except ValidationError as error:
            _apply_errors(self, error)
            return False
        return True
