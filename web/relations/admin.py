"""Admin of relation types and relations, scoped to the staff member's databases.

A relation's rules (one database, not to itself, small properties) are its model's
``clean``; a type still used by relations cannot be deleted (the delete page says so).
"""

from django.contrib import admin
from django.db.models import Q

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    SummarisedDeleteMixin,
    count_of,
)
from profiles.models import Profile
from relations.models import Relation, RelationType


@admin.register(RelationType)
class RelationTypeAdmin(ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "database", "relation_count", "created_at"]
    list_filter = [SCOPED_DATABASE]
    list_select_related = ["database"]
    search_fields = ["name"]
    fields = ["name", "database", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(relation_total=count_of(Relation, "type"))

    def get_readonly_fields(self, request, obj=None):
        # Its relations link profiles of its database: it cannot move to another one.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    @admin.display(description="Relations", ordering="relation_total")
    def relation_count(self, obj):
        return obj.relation_total


@admin.register(Relation)
class RelationAdmin(KeysetPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    database_path = "type__database"
    paginator = EstimatedCountPaginator
    list_display = ["from_profile", "type", "to_profile", "created_at"]
    keyset_orders = {
        "from_profile": ["from_profile_id", "id"],
        "to_profile": ["to_profile_id", "id"],
        "type": ["type_id", "from_profile_id", "to_profile_id", "id"],
    }
    list_filter = [("type", ScopedRelatedFilter), "created_at"]
    list_select_related = ["type", "from_profile", "to_profile"]
    search_fields = ["=from_profile__profile_id"]  # the search itself is get_search_results
    search_help_text = "A profile_id or an email, of either profile."
    raw_id_fields = ["from_profile", "to_profile"]
    fields = ["type", "from_profile", "to_profile", "properties", "created_at"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
    ordering = ["-id"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        ids = Profile.objects.ids_by_key(search_term)
        return queryset.filter(Q(from_profile_id__in=ids) | Q(to_profile_id__in=ids)), False
