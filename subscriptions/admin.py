from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from . import services
from .models import (
    DEVICE_FIELDS,
    Category,
    Channel,
    Resource,
    Subscription,
    SubscriptionField,
    SuppressedAddress,
)

# -- Channels, resources, categories -----------------------------------------------------


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "contact_kind", "builtin", "position"]
    list_filter = ["builtin", "contact_kind"]
    search_fields = ["name", "slug"]
    ordering = ["position", "name"]

    def get_readonly_fields(self, request, obj=None):
        """A built-in channel keeps its slug and contact kind: other systems rely on them."""
        if obj is not None and obj.builtin:
            return ["slug", "contact_kind", "builtin"]
        return ["builtin"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.builtin:
            return False
        return super().has_delete_permission(request, obj)


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


class SubscriptionFieldInline(admin.TabularInline):
    model = SubscriptionField
    extra = 0


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "increase_priority_for_new", "channel_list", "category_count"]
    list_filter = ["increase_priority_for_new", "channels"]
    search_fields = ["name", "categories__name"]
    filter_horizontal = ["channels"]
    inlines = [CategoryInline, SubscriptionFieldInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(category_total=Count("categories", distinct=True))
            .prefetch_related("channels")
        )

    @admin.display(description="channels")
    def channel_list(self, resource):
        return ", ".join(channel.slug for channel in resource.channels.all())

    @admin.display(description="categories", ordering="category_total")
    def category_count(self, resource):
        return resource.category_total


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "resource"]
    list_filter = ["resource"]
    search_fields = ["name", "resource__name"]
    list_select_related = ["resource"]


@admin.register(SubscriptionField)
class SubscriptionFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "type", "resource", "required"]
    list_filter = ["type", "required", "resource"]
    search_fields = ["name", "label", "resource__name"]
    list_select_related = ["resource"]


# -- Subscriptions -----------------------------------------------------------------------


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.live()
        if self.value() == "yes":
            return queryset.deleted()
        return queryset


class SubscriptionAdminForm(forms.ModelForm):
    """The model checks contact data and custom values; this adds the category rule."""

    priority = forms.IntegerField(
        required=False,
        help_text="The lower the number, the higher the priority. Empty on a new "
        "subscription: the resource's rule decides.",
    )

    class Meta:
        model = Subscription
        fields = [
            "profile",
            "resource",
            "channel",
            "contact",
            "status",
            "priority",
            "categories",
            "custom_values",
            *DEVICE_FIELDS,
            "reg_date",
            "reg_ip",
            "reg_source",
        ]

    def clean_priority(self):
        priority = self.cleaned_data.get("priority")
        if priority is None and self.instance.pk:
            raise ValidationError("Enter a whole number.")
        return priority

    def _post_clean(self):
        # The model field needs a number to validate; the rule picks the real one on save.
        priority = self.cleaned_data.get("priority")
        if "priority" in self.cleaned_data and priority is None:
            self.cleaned_data["priority"] = 0
        super()._post_clean()
        self.cleaned_data["priority"] = priority

    def clean(self):
        cleaned = super().clean()
        resource, categories = cleaned.get("resource"), cleaned.get("categories")
        if resource is not None and categories:
            try:
                resource.clean_category_ids([c.pk for c in categories])
            except ValidationError as error:
                self.add_error("categories", error)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Every write goes through subscriptions.services: limits, priority rule, history."""

    form = SubscriptionAdminForm
    list_display = [
        "public_id",
        "contact",
        "profile",
        "resource",
        "channel",
        "status",
        "priority",
        "created_at",
        "deleted_at",
    ]
    list_filter = [DeletedFilter, "status", "channel", "resource", "created_at"]
    search_fields = ["public_id", "contact", "profile__profile_id", "profile__email"]
    list_select_related = ["profile", "resource", "channel"]
    raw_id_fields = ["profile"]
    filter_horizontal = ["categories"]
    readonly_fields = ["public_id", "created_at", "updated_at", "deleted_at"]
    date_hierarchy = "created_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "public_id",
                    "profile",
                    "resource",
                    "channel",
                    "contact",
                    "status",
                    "priority",
                    "categories",
                    "custom_values",
                ]
            },
        ),
        ("Device", {"fields": DEVICE_FIELDS, "classes": ["collapse"]}),
        ("Registration", {"fields": ["reg_date", "reg_ip", "reg_source"]}),
        ("Dates", {"fields": ["created_at", "updated_at", "deleted_at"]}),
    ]

    def get_queryset(self, request):
        return Subscription.all_objects.all()

    def get_readonly_fields(self, request, obj=None):
        fixed = ["profile", "resource", "channel", "contact"] if obj is not None else []
        return [*self.readonly_fields, *fixed]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        device = {name: data.get(name) for name in DEVICE_FIELDS if name in data}
        if change:
            original = Subscription.all_objects.select_related("profile", "resource", "channel")
            original = original.get(pk=obj.pk)
            services.update_subscription(
                original,
                status=data["status"],
                priority=data["priority"],
                categories=list(data.get("categories") or []),
                # The admin edits the whole object: keys left out are removed.
                fields=dict.fromkeys(original.custom_values) | (data.get("custom_values") or {}),
                device={
                    name: "" if value is None and name != "ad_tracking" else value
                    for name, value in device.items()
                },
            )
            return
        created = services.subscribe(
            data["profile"],
            resource=data["resource"],
            channel=data["channel"],
            contact=data["contact"],
            status=data["status"],
            priority=data["priority"],
            categories=list(data.get("categories") or []),
            fields=data.get("custom_values") or {},
            device={name: v for name, v in device.items() if v not in (None, "")},
            registration={name: data.get(name) for name in ("reg_date", "reg_ip", "reg_source")},
        ).subscription
        obj.pk, obj.public_id = created.pk, created.public_id

    def save_related(self, request, form, formsets, change):
        """The services set the categories; only inline formsets (none here) are left."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.delete_subscription(obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset.select_related("profile", "resource", "channel"):
            services.delete_subscription(subscription)


# -- Suppression list --------------------------------------------------------------------


class SuppressedAddressForm(forms.ModelForm):
    """An address put on the list by hand: stored trimmed and lowercase, like the model does."""

    class Meta:
        model = SuppressedAddress
        fields = ["address", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reason" in self.fields and not self.instance.pk:
            self.fields["reason"].initial = SuppressedAddress.Reason.MANUAL

    def clean_address(self):
        address = self.cleaned_data["address"].strip().lower()
        validate_email(address)
        return address


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    """The global suppression list: nothing is sent to these addresses; delete to lift."""

    form = SuppressedAddressForm
    list_display = ["address", "reason", "profile_link", "created_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["^address", "=profile_id"]
    search_help_text = "The beginning of an address, or a profile_id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    readonly_fields = ["profile_link", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "address"] if obj else self.readonly_fields

    @admin.display(description="Profile", ordering="profile_id")
    def profile_link(self, obj):
        if not obj.profile_id:
            return "—"
        url = reverse("admin:profiles_profile_changelist") + "?" + urlencode({"q": obj.profile_id})
        return format_html('<a href="{}">{}</a>', url, obj.profile_id)
