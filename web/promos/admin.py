"""Admin of promo code pools and their codes.

Every list shows only the rows of the profile databases the staff member may see. A pool
is created and its codes loaded from its page: the "Load codes" box takes one code per line
(``PromoPool.load_codes``: duplicates are counted and skipped, a bad code refuses the load
with its line named). Codes are read here, never changed by hand: attaching, detaching and
activating happen on the profile page or over the API, which record the history events.
A pool or code handed out to a profile is not deleted (the profile's history names it).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import (
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    SummarisedDeleteMixin,
)
from promos.models import MAX_CODES_PER_LOAD, PromoCode, PromoPool, check_code


class PromoPoolForm(forms.ModelForm):
    load_codes = forms.CharField(
        label="Load codes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        help_text=f"One code per line, at most {MAX_CODES_PER_LOAD:,} at a time; codes already "
        "in the pool are skipped.",
    )

    class Meta:
        model = PromoPool
        fields = ["name", "database", "valid_until"]

    def clean_load_codes(self):
        text = self.cleaned_data.get("load_codes") or ""
        codes = [line.strip() for line in text.splitlines() if line.strip()]  # lines, not codes
        if len(codes) > MAX_CODES_PER_LOAD:
            raise ValidationError(
                f"Load at most {MAX_CODES_PER_LOAD:,} codes at a time (got {len(codes):,})."
            )
        for line, code in enumerate(codes, 1):
            try:
                check_code(code)
            except ValidationError as error:
                raise ValidationError(f"Line {line} ({code[:40]}): {error.messages[0]}") from None
        return codes

    def clean(self):
        cleaned_data = super().clean()
        database, name = cleaned_data.get("database"), cleaned_data.get("name")
        if database is None and self.instance.pk:
            database = self.instance.database
        if database is not None and name:
            same = PromoPool.objects.filter(database=database, name=name)
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("name", f"Database “{database}” already has a pool named “{name}”.")
        return cleaned_data


@admin.register(PromoPool)
class PromoPoolAdmin(ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    form = PromoPoolForm
    list_display = ["name", "database", "valid_until", "free", "attached", "activated"]
    list_filter = [("database", ScopedRelatedFilter), "valid_until"]
    list_select_related = ["database"]
    search_fields = ["name"]
    readonly_fields = ["code_counts", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    def get_fields(self, request, obj=None):
        fields = ["name", "database", "valid_until", "load_codes"]
        return [*fields, *self.readonly_fields] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        # Its codes are attached to profiles of that database.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    def _codes_link(self, obj, status, count):
        url = reverse("admin:promos_promocode_changelist") + f"?pool__id__exact={obj.pk}"
        return format_html('<a href="{}&amp;state={}">{}</a>', url, status, count)

    @admin.display(description="Free", ordering="free_total")
    def free(self, obj):
        return self._codes_link(obj, "free", obj.free_total)

    @admin.display(description="Attached", ordering="attached_total")
    def attached(self, obj):
        return self._codes_link(obj, "attached", obj.attached_total)

    @admin.display(description="Activated", ordering="activated_total")
    def activated(self, obj):
        return self._codes_link(obj, "activated", obj.activated_total)

    @admin.display(description="Codes")
    def code_counts(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            "{} free, {} attached, {} activated",
            self.free(obj),
            self.attached(obj),
            self.activated(obj),
        )

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        codes = form.cleaned_data.get("load_codes") or []  # each checked by the form
        if not codes:
            return
        added, duplicates = obj.load_codes(codes)
        self.message_user(
            request,
            f"{added} code{'s' if added != 1 else ''} added, {duplicates} duplicates skipped.",
        )

    def protected_summary(self, objs):
        handed_out = PromoCode.objects.filter(pool__in=objs).exclude(status="free").count()
        if handed_out:
            return [f"{handed_out} codes are attached to profiles or activated; let it expire"]
        return []


class StateFilter(admin.SimpleListFilter):
    """The status shown (expired computed from the pool's valid_until)."""

    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return PromoCode.Status.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in PromoCode.Status.values:
            return queryset.in_state(value, timezone.now())
        return queryset


@admin.register(PromoCode)
class PromoCodeAdmin(KeysetPagesMixin, ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    database_path = "pool__database"
    list_display = ["code", "pool", "state_label", "profile", "attached_at", "activated_at"]
    keyset_orders = {"pool": ["pool_id", "code", "id"]}
    list_filter = [StateFilter, ("pool", ScopedRelatedFilter)]
    list_select_related = ["pool", "profile"]
    search_fields = ["code__startswith"]  # case included ("^code" ignores case)
    search_help_text = "The start of a code (exactly, case included)."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-id"]
    readonly_fields = [
        "pool",
        "code",
        "state_label",
        "profile",
        "attached_at",
        "activated_at",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # loaded in bulk from the pool's page (or promo-pools/{id}/codes/)

    def has_change_permission(self, request, obj=None):
        return False  # attach, detach and activate record history: the profile page or API

    @admin.display(description="Status")
    def state_label(self, obj):
        return obj.get_state_display()

    def protected_summary(self, objs):
        handed_out = sum(1 for code in objs if code.status != PromoCode.Status.FREE)
        if handed_out:
            return [f"{handed_out} of them are attached to profiles or activated"]
        return []
