"""Admin of channels, resources (with their categories and custom fields), subscriptions
and the suppression list. Subscriptions are written through ``operations.subscriptions``
(limits, the priority rule, history), checked once by the same checks as the API's."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from core import scoping
from core.admin import (
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
    SummarisedDeleteMixin,
    TypedFieldForm,
    add_check_errors,
)
from core.text import normalize_email
from operations.subscriptions import delete_subscription, subscribe, update_subscription
from profiles.models import Profile
from subscriptions.models import (
    DEVICE_FIELDS,
    REGISTRATION_FIELDS,
    Category,
    Channel,
    Resource,
    Subscription,
    SubscriptionField,
    SuppressedAddress,
    check_new_subscription,
    check_subscription_change,
)

# The admin's search by a profile_id or an email finds the subscriptions of at most this
# many profiles (an email is unique per database: one per database at most).
SEARCH_PROFILE_OWNERS = 100

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


class SubscriptionFieldForm(TypedFieldForm):
    class Meta:
        model = SubscriptionField
        fields = ["resource", "name", "label", "type", "options", "required", "position"]


class SubscriptionFieldInline(admin.TabularInline):
    model = SubscriptionField
    form = SubscriptionFieldForm
    fields = ["position", "name", "label", "type", "options", "required"]
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
    form = SubscriptionFieldForm
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
    """A new subscription, or the change of one, checked as the API's and the pages' are:
    by ``check_new_subscription`` / ``check_subscription_change`` (``checked``)."""

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
            *REGISTRATION_FIELDS,
        ]

    def clean_priority(self):
        priority = self.cleaned_data.get("priority")
        if priority is None and self.instance.pk:
            raise ValidationError("Enter a whole number.")
        return priority

    def _post_clean(self):
        """Run the checks of every write (instead of the model's full_clean)."""
        self.checked = None
        if self.errors:
            return
        data = self.cleaned_data
        device = {
            # An emptied text field is "", not None; ad_tracking alone may be unknown.
            name: "" if data[name] is None and name != "ad_tracking" else data[name]
            for name in DEVICE_FIELDS
            if name in data
        }
        common = {
            "status": data["status"],
            "priority": data["priority"],
            "categories": list(data.get("categories") or []),
        }
        try:
            if self.instance.pk:
                # The admin edits the whole object: custom values left out are removed.
                custom = dict.fromkeys(self.instance.custom_values)
                self.checked = check_subscription_change(
                    self.instance,
                    **common,
                    custom_values=custom | (data.get("custom_values") or {}),
                    device=device,
                )
            else:
                self.checked = check_new_subscription(
                    data["profile"],
                    resource=data["resource"],
                    channel=data["channel"],
                    contact=data["contact"],
                    **common,
                    custom_values=data.get("custom_values") or {},
                    device={
                        name: value for name, value in device.items() if value not in ("", None)
                    },
                    registration={name: data.get(name) for name in REGISTRATION_FIELDS},
                )
        except ValidationError as error:
            add_check_errors(self, error)


@admin.register(Subscription)
class SubscriptionAdmin(
    KeysetPagesMixin, ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin
):
    """Every write goes through operations.subscriptions: limits, priority rule, history."""

    database_path = "profile__database"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
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
    # The columns people may sort by, each ordered by an index (the others would sort
    # millions of rows for every page); a profile's subscriptions by their profile's id.
    keyset_orders = {"public_id": ["public_id", "id"], "profile": ["profile_id", "id"]}
    search_fields = ["contact"]  # the search itself is get_search_results
    search_help_text = (
        "A contact or its beginning (live@, +3361), a subscription ID, a profile_id or a "
        "profile's email."
    )
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    list_select_related = ["profile", "resource", "channel"]
    raw_id_fields = ["profile"]
    filter_horizontal = ["categories"]
    readonly_fields = ["public_id", "created_at", "updated_at", "deleted_at"]
    # No date_hierarchy: its year links read the dates of every row.
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

    def get_ordering(self, request):
        # Newest first by the primary key's index: the model's order (priority, created_at)
        # would sort millions of rows for every page.
        return ["-id"]

    def get_search_results(self, request, queryset, search_term):
        """Match through indexes only: a contact by its start (the pattern index), a
        subscription ID whole, the subscriptions of the profiles with that profile_id or
        email (looked up first, by their own indexes)."""
        text = search_term.strip()
        if not text:
            return queryset, False
        lowered = text.lower()
        owner_ids = Profile.objects.ids_by_key(text, limit=SEARCH_PROFILE_OWNERS)
        query = Q(public_id=text) | Q(contact__startswith=text)
        if lowered != text:
            query |= Q(contact__startswith=lowered)
        if owner_ids:
            query |= Q(profile_id__in=owner_ids)
        return queryset.filter(query), False

    def get_queryset(self, request):
        # Deleted subscriptions too (the list filters them), of the visible databases only.
        return scoping.visible(Subscription.all_objects.all(), request.user, self.database_path)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["profile", "resource", "channel", "contact", *REGISTRATION_FIELDS]
        return [*self.readonly_fields, *(fixed if obj is not None else [])]

    def save_form(self, request, form, change):
        """A new subscription is the one its check made; a changed one, the stored one."""
        return form.instance if change else form.checked.subscription

    def save_model(self, request, obj, form, change):
        if change:
            update_subscription(obj, form.checked)
        else:
            subscribe(obj.profile, form.checked)

    def save_related(self, request, form, formsets, change):
        """The operations set the categories; only inline formsets (none here) are left."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def deletion_counts(self, objs):
        """Deleting marks the subscriptions deleted (``delete_subscription``): their categories
        stay with them, so the confirmation counts the subscriptions alone (Django's
        collector would count every category link as deleted too)."""
        return {self.model._meta.verbose_name_plural: len(objs)}

    def delete_model(self, request, obj):
        delete_subscription(obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset.select_related("profile", "resource", "channel"):
            delete_subscription(subscription)


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
        address = normalize_email(self.cleaned_data["address"])
        validate_email(address)
        return address


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The global suppression list: nothing is sent to these addresses; delete to lift.

    The list is global, but an entry a profile's event put there tells that profile's
    address and profile_id: it is shown (and lifted) only by staff who may see the profile.
    """

    form = SuppressedAddressForm
    list_display = ["address", "reason", "profile_link", "created_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["^address", "=profile_id"]
    search_help_text = "The beginning of an address, or a profile_id."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    readonly_fields = ["profile_link", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "address"] if obj else self.readonly_fields

    def scope(self, rows, user):
        """Return the entries tied to no profile and those of the profiles ``user`` may
        see; every entry to a superuser.

        An entry names its profile by profile_id, not by a relation; an entry whose profile
        is gone has no database left to be seen through, so only a superuser sees it.
        """
        if scoping.may_see_every_database(user):
            return rows
        profile = Profile.objects.filter(profile_id=OuterRef("profile_id")).visible_to(user)
        return rows.filter(Q(profile_id="") | Exists(profile))

    @admin.display(description="Profile", ordering="profile_id")
    def profile_link(self, obj):
        if not obj.profile_id:
            return "—"
        url = reverse("admin:profiles_profile_changelist") + "?" + urlencode({"q": obj.profile_id})
        return format_html('<a href="{}">{}</a>', url, obj.profile_id)
