"""Admin of the action history: events are facts, so they are read here, never edited.

The table holds millions of rows: no full count, the profile is a raw id, and the list
without a profile filter is ordered by the primary key (its index), not by occurred_at.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import (
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
)
from core.jsonvalues import shown
from history.models import Event
from history.types import EVENT_TYPES, EVENT_TYPES_BY_SLUG, GROUP_LABELS
from profiles.models import Profile

DATA_PREVIEW_LENGTH = 80


class EventTypeFilter(admin.SimpleListFilter):
    """Filter by one event type of the taxonomy (history/types.py), grouped by kind."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(t.slug, f"{GROUP_LABELS.get(t.group, t.group)}: {t.label}") for t in EVENT_TYPES]

    def queryset(self, request, queryset):
        if self.value() in EVENT_TYPES_BY_SLUG:
            return queryset.filter(type=self.value())
        return queryset


@admin.register(Event)
class EventAdmin(KeysetPagesMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    database_path = "profile__database"
    list_display = ["occurred_at", "type_label", "profile_link", "database", "data_preview"]
    list_filter = [EventTypeFilter, "occurred_at", ("profile__database", ScopedRelatedFilter)]
    list_select_related = ["profile__database"]
    search_fields = ["=type"]  # the search itself is get_search_results
    search_help_text = "A profile_id (24 hex digits) or an event type slug, e.g. click."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    list_per_page = 100
    raw_id_fields = ["profile"]
    fields = ["profile", "type", "type_label", "occurred_at", "recorded_at", "data_json"]
    readonly_fields = fields

    # A value of the data a permission of its own guards (a promo code) is hidden from a
    # user without it, on the list and on an event's page, as on the profile's history.
    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.result_list = list(map(Event.withholding(request.user), changelist.result_list))
        return changelist

    def get_object(self, request, object_id, from_field=None):
        event = super().get_object(request, object_id, from_field)
        return Event.withholding(request.user)(event) if event is not None else None

    def get_ordering(self, request):
        # One profile's events (filtered, or searched by its profile_id): newest first by
        # the (profile, -occurred_at, -id) index. All events: the primary key's index, as
        # sorting millions by occurred_at is not cheap.
        return ["-occurred_at", "-id"] if self._one_profile(request) else ["-id"]

    def get_keyset_orders(self, request):
        # One profile's events sort by when they happened, either way, by the same index;
        # all events are not sorted by any column (each would sort millions of rows).
        return {"occurred_at": ["occurred_at", "id"]} if self._one_profile(request) else {}

    @staticmethod
    def _one_profile(request):
        searched = request.GET.get("q", "").strip()
        return bool(
            request.GET.get("profile") or (searched and searched not in EVENT_TYPES_BY_SLUG)
        )

    def get_search_results(self, request, queryset, search_term):
        text = search_term.strip()
        if not text:
            return queryset, False
        if text in EVENT_TYPES_BY_SLUG:
            return queryset.filter(type=text), False
        # The profile first, by its unique index: a condition on the joined profile row
        # left the planner walking the events' primary key (1 s at 20 M events).
        found = Profile.objects.filter(profile_id=text.lower()).values_list("pk", flat=True)
        return queryset.filter(profile_id__in=list(found[:1])), False

    @admin.display(description="Event", ordering="type")
    def type_label(self, obj):
        return obj.label()

    @admin.display(description="Profile")
    def profile_link(self, obj):
        url = reverse("admin:profiles_profile_change", args=[obj.profile_id])
        return format_html('<a href="{}">{}</a>', url, obj.profile)

    @admin.display(description="Database")
    def database(self, obj):
        return obj.profile.database

    @admin.display(description="Data")
    def data_preview(self, obj):
        return shown(obj.data, DATA_PREVIEW_LENGTH)

    @admin.display(description="Data")
    def data_json(self, obj):
        return format_html("<pre>{}</pre>", obj.data_json())
