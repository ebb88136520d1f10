"""Admin of pixels (with their goals inline) and of the anonymous hits waiting for their
visitor. Every list shows only the rows of the databases the staff member may see."""

from django.contrib import admin

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    count_of,
)
from pixels.models import AnonymousHit, Goal, Pixel


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 1
    fields = ["name", "value"]


@admin.register(Pixel)
class PixelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "database", "goal_count", "updated_at"]
    list_filter = [SCOPED_DATABASE]
    list_select_related = ["database"]
    search_fields = ["name", "goals__name"]
    fields = ["name", "database", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [GoalInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(goal_total=count_of(Goal, "pixel"))

    def get_readonly_fields(self, request, obj=None):
        # Its hits and events name it by id: it cannot move to another database.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    @admin.display(description="Goals", ordering="goal_total")
    def goal_count(self, obj):
        return obj.goal_total


@admin.register(AnonymousHit)
class AnonymousHitAdmin(KeysetPagesMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the pixels record of visitors not yet known (joined and deleted once known)."""

    database_path = "pixel__database"
    list_display = ["occurred_at", "pixel", "goal", "value", "anonymous_id", "url"]
    keyset_orders = {"anonymous_id": ["anonymous_id", "id"]}
    list_filter = [("pixel", ScopedRelatedFilter), "occurred_at"]
    list_select_related = ["pixel"]
    # Exactly, by its index ("=anonymous_id" compared upper-cased: no index served it).
    search_fields = ["anonymous_id__exact"]
    search_help_text = "A visitor's anonymous id, exactly."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-id"]
    readonly_fields = [field.name for field in AnonymousHit._meta.fields]
