"""Admin of profile databases, custom fields, profiles and the phone index.

Profiles come in millions: their lists never count the whole table, foreign keys to a
profile are raw ids or autocompletes, and deleting one summarises what goes with it
instead of listing every history event. Changes go through ``operations.profiles`` so the
admin records the same history events as the pages and the API. A staff member sees the
databases they are a member of (``core.scoping``), like everyone else.
"""

import json
import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.fields import InvalidJSONInput
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    SummarisedDeleteMixin,
    TypedFieldForm,
    add_check_errors,
    count_of,
)
from core.collation import Alphabetical
from core.fieldtypes import is_empty
from core.text import normalize_phone
from operations.profiles import create_profile, delete_profile, update_profile
from profiles.fields import EDITABLE, STANDARD_TABS
from profiles.models import (
    CustomField,
    Profile,
    ProfileDatabase,
    ProfilePhone,
    check_profile_values,
)

from .forms import PhonesField

HEX_RE = re.compile(r"^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{32}$")


# -- Profile databases and custom fields -------------------------------------------------


class CustomFieldForm(TypedFieldForm):
    class Meta:
        model = CustomField
        fields = ["database", "name", "label", "type", "options", "required", "position"]


class CustomFieldInline(admin.TabularInline):
    model = CustomField
    form = CustomFieldForm
    fields = ["position", "name", "label", "type", "options", "required"]
    extra = 0
    show_change_link = True


@admin.register(ProfileDatabase)
class ProfileDatabaseAdmin(ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    database_path = ""
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
        choices = [(tab.slug, tab.label) for tab in obj.tabs()] if obj else STANDARD_TABS
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
class CustomFieldAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = CustomFieldForm
    list_display = ["name", "label", "database", "type", "options_line", "required", "position"]
    list_filter = [SCOPED_DATABASE, "type", "required"]
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
    """Standard fields, phones as text, custom values as JSON; checked by
    ``check_profile_values``, like every write of a profile (``checked`` holds the result)."""

    phones = PhonesField()
    custom_values = IndentedJSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="A JSON object: custom field name → value.",
    )

    class Meta:
        model = Profile
        fields = ["database", *EDITABLE, "custom_values"]

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
        self.checked = None
        if self.instance.pk:
            # Disabled, not read-only: the field stays in the form, so the email is still
            # checked to be unique within this database.
            self.fields["database"].disabled = True
            self.fields["database"].help_text = "A profile stays in its database."
            widget = self.fields["database"].widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False

    def clean_custom_values(self):
        value = self.cleaned_data.get("custom_values")
        return {} if is_empty(value) else value

    def _post_clean(self):
        """Check the values as every write of a profile does (instead of ``full_clean``); the
        JSON box holds all custom values, so keys left out are removed."""
        database = self.cleaned_data.get("database")
        if database is None or self.errors:
            return
        values = {name: self.cleaned_data[name] for name in EDITABLE if name in self.cleaned_data}
        values["custom_values"] = self.cleaned_data.get("custom_values", {})
        profile = self.instance if self.instance.pk else None
        try:
            self.checked = check_profile_values(
                database, values, profile=profile, replace_custom_values=True
            )
        except ValidationError as error:
            add_check_errors(self, error)


@admin.register(Profile)
class ProfileAdmin(KeysetPagesMixin, ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    form = ProfileAdminForm

    class Media:
        css = {"all": ["css/admin.css"]}  # the avatar preview

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
    # The columns people may sort by, each ordered by an index (the others would sort the
    # whole table for every page: the database, control group).
    keyset_orders = {
        "profile_id": ["profile_id", "id"],
        "email": ["email", "id"],
        "name": [Alphabetical("last_name"), Alphabetical("first_name"), "id"],
        "status": ["status", "id"],
        "created_at": ["created_at", "id"],
    }
    list_filter = [SCOPED_DATABASE, "status", "in_control_group", "gender", "created_at"]
    list_select_related = ["database"]
    search_fields = ["email"]  # the search itself is get_search_results
    search_help_text = (
        "Email (beginning), phone (any notation), first or last name, full name, "
        "profile_id, MD5 or XXH."
    )
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    list_per_page = 50
    readonly_fields = [
        "profile_id",
        "md5",
        "xxh",
        "in_control_group",  # the group's formation decides (interactions.ControlGroup)
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
        # Served by the profile page's avatar view, which checks the staff member may see
        # the profile (media files are never public); a class, not a style: strict CSP.
        return format_html(
            '<img src="{}" alt="" width="64" height="64" class="avatar-preview">',
            reverse("profiles:avatar", args=[obj.profile_id]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            update_profile(obj, form.checked, source="manual")
        else:
            create_profile(
                form.cleaned_data["database"], form.checked, source="manual", profile=obj
            )

    def delete_model(self, request, obj):
        delete_profile(obj)

    def delete_queryset(self, request, queryset):
        for profile in queryset:
            delete_profile(profile)


@admin.register(ProfilePhone)
class ProfilePhoneAdmin(KeysetPagesMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The phone index: kept by saving a profile, so it is read here, never edited."""

    list_display = ["number", "profile", "database"]
    keyset_orders = {
        "profile": ["profile_id", "id"],
        "database": ["database_id", "number", "id"],
    }
    list_filter = [SCOPED_DATABASE]
    list_select_related = ["profile", "database"]
    search_fields = ["=number"]
    search_help_text = "A phone in any international notation, e.g. +1 202 555 0179."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    fields = ["number", "profile_link", "database"]
    readonly_fields = fields

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
