"""Admin of loyalty programs (with their tiers and promotions) and memberships.

Every list shows only the rows of the profile databases the staff member may see. A
membership's balance moves only through points transactions (``operations.loyalty``): in
the admin it is read-only, its transactions listed read-only below it, and a membership is
added (enrolled) through the same operation the pages and the API use, with its event.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    count_of,
)
from loyalty.models import Membership, Program, Promotion, Tier, Transaction
from operations.loyalty import enrol
from profiles.models import Profile

ADMIN_TRANSACTIONS = 50


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0
    fields = ["name", "threshold"]


class PromotionInline(admin.StackedInline):
    model = Promotion
    extra = 0
    fields = ["name", "description", "starts_at", "ends_at", "minimum_tier"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "minimum_tier":
            program_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Tier.objects.filter(
                program_id=program_id if program_id and program_id.isdecimal() else None
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Program)
class ProgramAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "database", "active", "tier_count", "member_count", "updated_at"]
    list_filter = ["active", SCOPED_DATABASE]
    list_select_related = ["database"]
    search_fields = ["name"]
    fields = ["name", "database", "description", "active", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TierInline, PromotionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                tier_total=count_of(Tier, "program"), member_total=count_of(Membership, "program")
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # Its members are profiles of its database: it cannot move to another one.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    def get_inlines(self, request, obj):
        # A promotion's minimum tier is one of the program's, saved first.
        return [TierInline, PromotionInline] if obj else [TierInline]

    @admin.display(description="Tiers", ordering="tier_total")
    def tier_count(self, obj):
        return obj.tier_total

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


class TransactionInline(admin.TabularInline):
    """The membership's last ``ADMIN_TRANSACTIONS`` transactions, newest first: a record,
    never edited (the API lists them all)."""

    model = Transaction
    fields = ["created_at", "points", "reason", "balance_after", "source", "created_by"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    max_num = 0
    show_change_link = False

    verbose_name_plural = f"points transactions (the last {ADMIN_TRANSACTIONS})"

    def get_queryset(self, request):
        latest = (
            Transaction.objects.filter(membership=OuterRef("membership"))
            .order_by("-id")
            .values("pk")[:ADMIN_TRANSACTIONS]
        )
        queryset = super().get_queryset(request).select_related("created_by")
        return queryset.filter(pk__in=Subquery(latest))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    """Enrol a profile: a program of its database (``Membership.clean``), an active one."""

    class Meta:
        model = Membership
        fields = ["program", "profile"]

    def clean_program(self):
        program = self.cleaned_data["program"]
        if program is not None and not program.active:
            raise ValidationError(f"Program “{program}” is not active: it takes no new members.")
        return program


@admin.register(Membership)
class MembershipAdmin(KeysetPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    database_path = "program__database"
    form = MembershipForm
    list_display = ["profile", "program", "balance", "tier", "enrolled_at"]
    keyset_orders = {
        "profile": ["profile_id", "id"],
        "program": ["program_id", "profile_id", "id"],
    }
    list_filter = [("program", ScopedRelatedFilter), "enrolled_at"]
    list_select_related = ["profile", "program"]
    search_fields = ["=profile__profile_id"]  # the search itself is get_search_results
    search_help_text = "A profile_id or an email."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ["profile"]
    ordering = ["-id"]
    readonly_fields = ["balance", "tier", "enrolled_at", "updated_at"]
    inlines = [TransactionInline]

    def get_inlines(self, request, obj):
        return [TransactionInline] if obj else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["program", "profile"]
        return ["program", "profile", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return ["program", "profile", *self.readonly_fields] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("program__tiers")

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(profile_id__in=Profile.objects.ids_by_key(search_term)), False

    @admin.display(description="Tier")
    def tier(self, obj):
        tier = obj.tier if obj.pk else None
        return tier.name if tier else "—"

    def save_model(self, request, obj, form, change):
        """Enrol through the operation (its checks, its history event)."""
        if change:
            return  # nothing of a membership is changed by hand
        created = enrol(obj.program, obj.profile, source="admin", user=request.user)
        obj.pk = created.pk
        obj.enrolled_at = created.enrolled_at
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        # The change page shows the membership and its transactions; nothing to save.
        return super().has_change_permission(request, obj) if obj is None else False
