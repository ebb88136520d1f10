"""Admin of profile databases, custom fields, profiles and the phone index.

Profiles come in millions: their lists never count the whole table, foreign keys to a
profile are raw ids or autocompletes, and deleting one summarises what goes with it
instead of listing every history event. Changes go through ``profiles.services`` so the
admin records the same history events as the pages and the API.
"""

import json
import re
from collections import Counter

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.functions import Coalesce
from django.forms.fields import InvalidJSONInput
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.text import capfirst

from . import services
from .fieldtypes import FieldType, parse_options
from .forms import PhonesField
from .models import CustomField, Profile, ProfileDatabase, ProfilePhone, normalize_phone
from .tabs import STANDARD_TABS

HEX_RE = re.compile(r"^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{32}$")


def summarised_deletion(objs, using):
    """Return what deleting objs takes with it as counts per model, for the confirmation page.

    Django's default lists every related row (every history event of a profile) and,
    for a protected relation, loads every protecting row; counting keeps the page small.
    """
    collector = Collector(using=using, origin=objs)
    try:
        collector.collect(objs)
    except (ProtectedError, RestrictedError) as error:
        counts = Counter(obj._meta.verbose_name_plural for obj in error.protected_objects)
        return [f"{count} {name} still refer to it" for name, count in counts.items()]
    counts = Counter()
    for model, instances in collector.data.items():
        counts[model._meta.verbose_name_plural] += len(instances)
    for queryset in collector.fast_deletes:
        counts[queryset.model._meta.verbose_name_plural] += queryset.count()
    return counts


class SummarisedDeleteMixin:
    """Confirm a deletion with counts per kind of row, not one line per related row."""

    def protected_summary(self, objs):
        """Return why objs cannot be deleted (checked cheaply before collecting), or []."""
        return []

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        result = self.protected_summary(objs) or summarised_deletion(
            objs, router.db_for_write(self.model)
        )
        if isinstance(result, list):
            return [str(obj) for obj in objs], {}, set(), result
        model_count = {name: count for name, count in result.items() if count}
        perms_needed = set()
        if not self.has_delete_permission(request):
            perms_needed.add(self.model._meta.verbose_name)
        deleted = [format_html("{}: {}", capfirst(self.model._meta.verbose_name), o) for o in objs]
        return deleted, model_count, perms_needed, []


def visible_only(queryset, user, lookup):
    """Limit queryset to rows whose profile database (reached by lookup) the user may see."""
    if user.is_active and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{lookup}__in": ProfileDatabase.objects.visible_to(user)})


def count_of(model, field):
    """Return a subquery counting model rows whose field points at the outer row."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


# -- Profile databases and custom fields -------------------------------------------------


class CustomFieldForm(forms.ModelForm):
    """A custom field with its enum options typed as one comma-separated line.

    A field that profiles hold values for keeps its name, type and the options in use
    (``CustomField.held_value_errors``), so no stored value is stranded.
    """

    options = forms.CharField(
        required=False,
        help_text="Enum only: the allowed values as one comma-separated line, e.g. bronze, gold.",
    )

    class Meta:
        model = CustomField
        fields = ["database", "name", "label", "type", "options", "required", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("options"), list):
            self.initial["options"] = ", ".join(self.initial["options"])

    def clean_options(self):
        return parse_options(self.cleaned_data.get("options") or "")

    def clean(self):
        cleaned_data = super().clean()
        field_type = cleaned_data.get("type")
        options = cleaned_data.get("options")
        if field_type and field_type != FieldType.ENUM and options:
            self.add_error("options", "Only enum fields have options.")
        if self.instance.pk and field_type and "name" in cleaned_data and options is not None:
            errors = self.instance.held_value_errors(cleaned_data["name"], field_type, options)
            for name, messages in errors.items():
                self.add_error(name, messages)
        return cleaned_data


class CustomFieldInline(admin.TabularInline):
    model = CustomField
    form = CustomFieldForm
    fields = ["position", "name", "label", "type", "options", "required"]
    extra = 0
    show_change_link = True


@admin.register(ProfileDatabase)
class ProfileDatabaseAdmin(SummarisedDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "profile_count", "field_count", "member_count", "default_tab"]
    search_fields = ["name", "description"]
    list_filter = ["created_at"]
    autocomplete_fields = ["members"]
    inlines = [CustomFieldInline]
    fields = ["name", "description", "members", "default_tab", "tab_layout", "created_at"]
    readonly_fields = ["tab_layout", "created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                profile_total=count_of(Profile, "database"),
                field_total=count_of(CustomField, "database"),
                member_total=count_of(ProfileDatabase.members.through, "profiledatabase"),
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj:
            choices = [(tab.slug, tab.label) for tab in obj.tabs()]
        else:
            choices = [(slug, label) for slug, label, _ in STANDARD_TABS]
        form.base_fields["default_tab"] = forms.ChoiceField(
            choices=choices,
            initial="main",
            help_text="The data tab a profile page opens on.",
        )
        return form

    @admin.display(description="Profiles", ordering="profile_total")
    def profile_count(self, obj):
        url = reverse("admin:profiles_profile_changelist") + f"?database__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.profile_total)

    @admin.display(description="Custom fields", ordering="field_total")
    def field_count(self, obj):
        return obj.field_total

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total

    @admin.display(description="Tabs and their fields")
    def tab_layout(self, obj):
        if not obj.pk:
            return "The standard tabs; change them on a profile page (the cog)."
        rows = format_html_join(
            "",
            "<li><b>{}</b>: {}</li>",
            ((tab.label, ", ".join(tab.fields) or "—") for tab in obj.tabs()),
        )
        return format_html("<ul>{}</ul>", rows)

    def protected_summary(self, objs):
        held = Profile.objects.filter(database__in=objs).count()
        return [f"{held} profiles belong to it; delete them first"] if held else []


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldForm
    list_display = ["name", "label", "database", "type", "options_line", "required", "position"]
    list_filter = ["database", "type", "required"]
    search_fields = ["name", "label"]
    list_select_related = ["database"]
    ordering = ["database__name", "position", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["database"] if obj else []

    @admin.display(description="Options")
    def options_line(self, obj):
        return ", ".join(obj.options)

    def delete_queryset(self, request, queryset):
        # One by one: CustomField.delete also removes the field's values from profiles.
        for field in queryset:
            field.delete()


# -- Profiles ------------------------------------------------------------------------------


class IndentedJSONField(forms.JSONField):
    """A JSON object shown one key per line."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class ProfileAdminForm(forms.ModelForm):
    """Standard fields, phones as text, custom values as JSON checked by ``Profile.clean``."""

    phones = PhonesField()
    custom_values = IndentedJSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="A JSON object: custom field name → value.",
    )

    class Meta:
        model = Profile
        fields = [
            *("database", "status", "in_control_group", "email", "phones"),
            *("first_name", "middle_name", "last_name", "gender", "birthday", "language"),
            *("latitude", "longitude"),
            *("reg_date", "reg_source", "reg_ip", "reg_country", "reg_city"),
            *("ip", "country", "region", "city", "zip_code", "timezone"),
            *("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"),
            "custom_values",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        database = self.instance.database if self.instance.database_id else None
        if database is not None:
            definitions = [
                f"{f.name} ({f.get_type_display()}"
                + (f": {', '.join(f.options)}" if f.options else "")
                + (", required" if f.required else "")
                + ")"
                for f in database.custom_fields.all()
            ]
            # The admin renders help texts as HTML: escape the names and options people typed.
            self.fields["custom_values"].help_text = escape(
                "A JSON object: custom field name → value. Fields of “"
                + database.name
                + "”: "
                + ("; ".join(definitions) or "none")
                + "."
            )
        if self.instance.pk and self.instance.has_fallback_email():
            self.fields["email"].help_text = "The fallback: the profile has no email of its own."
        if self.instance.pk:
            # Disabled, not read-only: the field stays in the form, so the model still checks
            # that the email is unique within this database.
            self.fields["database"].disabled = True
            self.fields["database"].help_text = "A profile stays in its database."
            widget = self.fields["database"].widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False

    def clean_custom_values(self):
        value = self.cleaned_data.get("custom_values")
        return {} if value in (None, "") else value


@admin.register(Profile)
class ProfileAdmin(SummarisedDeleteMixin, admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = [
        "profile_id",
        "email",
        "name",
        "database",
        "status",
        "in_control_group",
        "created_at",
    ]
    list_display_links = ["profile_id", "email"]
    list_filter = ["database", "status", "in_control_group", "gender", "created_at"]
    list_select_related = ["database"]
    search_fields = ["email"]  # the search itself is get_search_results
    search_help_text = (
        "Email (beginning), phone (any notation), first or last name, full name, "
        "profile_id, MD5 or XXH."
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    list_per_page = 50
    readonly_fields = [
        "profile_id",
        "md5",
        "xxh",
        "history",
        "avatar_preview",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("profile_id", "md5", "xxh"),
                    "database",
                    "status",
                    "in_control_group",
                    "history",
                    ("created_at", "updated_at"),
                ]
            },
        ),
        ("Contact", {"fields": ["email", "phones"]}),
        (
            "Personal",
            {
                "fields": [
                    ("first_name", "middle_name", "last_name"),
                    "gender",
                    "birthday",
                    "language",
                    "avatar_preview",
                ]
            },
        ),
        ("Main: location", {"fields": [("latitude", "longitude")]}),
        (
            "Reg. data",
            {"fields": ["reg_date", "reg_source", "reg_ip", "reg_country", "reg_city"]},
        ),
        (
            "Tracked",
            {"fields": ["ip", "country", "region", "city", "zip_code", "timezone"]},
        ),
        (
            "UTM",
            {
                "classes": ["collapse"],
                "fields": [
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "utm_term",
                    "utm_content",
                ],
            },
        ),
        ("Additional fields", {"fields": ["custom_values"]}),
    ]

    def get_queryset(self, request):
        return visible_only(super().get_queryset(request), request.user, "database")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "database":
            kwargs["queryset"] = ProfileDatabase.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """Search like the profile list does, plus exact MD5 and XXH identifiers."""
        text = search_term.strip()
        if not text:
            return queryset, False
        matches = queryset.filter(pk__in=Profile.objects.search(text).values("pk"))
        if HEX_RE.match(text):
            hex_id = text.lower()
            matches = matches | queryset.filter(Q(md5=hex_id) | Q(xxh=hex_id))
        return matches, False

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj):
        return obj.full_name()

    @admin.display(description="History")
    def history(self, obj):
        if not obj.pk:
            return "An import event is recorded when the profile is saved."
        url = reverse("admin:history_event_changelist") + f"?profile={obj.pk}"
        return format_html('<a href="{}">Events of this profile</a>', url)

    @admin.display(description="Avatar")
    def avatar_preview(self, obj):
        if not obj.avatar:
            return "No avatar (uploaded on the profile page)."
        return format_html(
            '<img src="{}" alt="" width="64" height="64" style="object-fit:cover">',
            obj.avatar.url,
        )

    def save_model(self, request, obj, form, change):
        if change:
            services.update_profile(obj, source="manual", changed=form.changed_data)
        else:
            services.create_profile(obj, source="manual")

    def delete_model(self, request, obj):
        services.delete_profile(obj)

    def delete_queryset(self, request, queryset):
        for profile in queryset:
            services.delete_profile(profile)


@admin.register(ProfilePhone)
class ProfilePhoneAdmin(admin.ModelAdmin):
    """The phone index: kept by saving a profile, so it is read here, never edited."""

    list_display = ["number", "profile", "database"]
    list_filter = ["database"]
    list_select_related = ["profile", "database"]
    search_fields = ["=number"]
    search_help_text = "A phone in any international notation, e.g. +1 202 555 0179."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    fields = ["number", "profile_link", "database"]
    readonly_fields = fields

    def get_queryset(self, request):
        return visible_only(super().get_queryset(request), request.user, "database")

    def get_search_results(self, request, queryset, search_term):
        text = search_term.strip()
        if not text:
            return queryset, False
        try:
            return queryset.filter(number=normalize_phone(text)), False
        except ValidationError:
            return queryset.filter(number__startswith=text.replace(" ", "")), False

    @admin.display(description="Profile")
    def profile_link(self, obj):
        url = reverse("admin:profiles_profile_change", args=[obj.profile_id])
        return format_html('<a href="{}">{}</a>', url, obj.profile)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
