"""Admin of static segments and their members.

Members are added and removed through ``operations.segments`` so the profile's history
records the entry and exit, as on the profile page and over the API.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    SummarisedDeleteMixin,
    count_of,
)
from operations.segments import add_to_segment, remove_from_segment
from profiles.models import Profile
from segments.models import Segment, SegmentMembership


@admin.register(Segment)
class SegmentAdmin(ScopedAdminMixin, SummarisedDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "database", "member_count", "created_at"]
    list_filter = [SCOPED_DATABASE, "created_at"]
    list_select_related = ["database"]
    search_fields = ["name"]
    fields = ["name", "database", "members", "created_at"]
    readonly_fields = ["members", "created_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(member_total=count_of(SegmentMembership, "segment"))

    def get_readonly_fields(self, request, obj=None):
        # A segment's members belong to its database: it cannot move to another one.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj):
        url = reverse("admin:segments_segmentmembership_changelist") + f"?segment={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.member_total)

    @admin.display(description="Members")
    def members(self, obj):
        if not obj.pk:
            return "Add members once the segment is saved."
        return self.member_count(obj)


class SegmentMembershipForm(forms.ModelForm):
    class Meta:
        model = SegmentMembership
        fields = ["segment", "profile"]

    def clean(self):
        cleaned_data = super().clean()
        segment, profile = cleaned_data.get("segment"), cleaned_data.get("profile")
        if segment and profile and segment.database_id != profile.database_id:
            self.add_error(
                "profile",
                f"The profile belongs to “{profile.database}”, "
                f"the segment to “{segment.database}”.",
            )
        return cleaned_data


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(KeysetPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    database_path = "segment__database"
    paginator = EstimatedCountPaginator
    form = SegmentMembershipForm
    list_display = ["profile", "segment", "database", "added_at"]
    keyset_orders = {
        "profile": ["profile_id", "id"],
        "segment": ["segment_id", "profile_id", "id"],
    }
    list_filter = [
        ("segment__database", ScopedRelatedFilter),
        ("segment", ScopedRelatedFilter),
        "added_at",
    ]
    list_select_related = ["profile", "segment__database"]
    search_fields = ["=profile__profile_id"]  # the search itself is get_search_results
    search_help_text = "A profile_id or an email."
    autocomplete_fields = ["segment", "profile"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    ordering = ["-id"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(profile_id__in=Profile.objects.ids_by_key(search_term)), False

    @admin.display(description="Database", ordering="segment__database__name")
    def database(self, obj):
        return obj.segment.database

    def has_change_permission(self, request, obj=None):
        # A membership is a fact with a history event; it is added or removed, not edited.
        return False

    def save_model(self, request, obj, form, change):
        add_to_segment(obj.segment, obj.profile)
        obj.pk = SegmentMembership.objects.get(segment=obj.segment, profile=obj.profile).pk

    def delete_model(self, request, obj):
        remove_from_segment(obj.segment, obj.profile)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("segment", "profile"):
            remove_from_segment(membership.segment, membership.profile)
