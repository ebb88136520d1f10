"""Admin of forms and their submissions. Every list shows only the rows of the databases the
staff member may see; a form's fields are checked by ``Form.clean`` (each maps to a field the
database has, one to the email)."""

from django.contrib import admin
from django.db.models import Q

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    count_of,
)
from core.jsonvalues import shown
from profiles.models import Profile
from webforms.models import Form, Submission


@admin.register(Form)
class FormAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "database", "field_count", "update_utm", "submission_count"]
    list_filter = ["update_utm", SCOPED_DATABASE]
    list_select_related = ["database"]
    search_fields = ["name"]
    fields = ["name", "database", "fields", "update_utm", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(submitted=count_of(Submission, "form"))

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    @admin.display(description="Fields")
    def field_count(self, obj):
        return len(obj.fields) if isinstance(obj.fields, list) else 0

    @admin.display(description="Submissions", ordering="submitted")
    def submission_count(self, obj):
        return obj.submitted


@admin.register(Submission)
class SubmissionAdmin(KeysetPagesMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What visitors submitted: a record, read-only."""

    database_path = "form__database"
    paginator = EstimatedCountPaginator
    list_display = ["submitted_at", "form", "profile", "anonymous_id"]
    keyset_orders = {"profile": ["profile_id", "id"]}
    list_filter = [("form", ScopedRelatedFilter), "submitted_at"]
    list_select_related = ["form", "profile"]
    search_fields = ["anonymous_id"]  # the search itself is get_search_results
    search_help_text = "A profile_id or an email, or a visitor's anonymous id exactly."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-id"]
    fields = ["form", "profile", "submitted_at", "submitted_data", "utm", "anonymous_id"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """The submissions of the profiles with that profile_id or email (looked up first)
        and of the visitor with that anonymous id, each by its own index."""
        text = search_term.strip()
        if not text:
            return queryset, False
        by_profile = Q(profile_id__in=Profile.objects.ids_by_key(text))
        return queryset.filter(by_profile | Q(anonymous_id=text)), False

    @admin.display(description="Data")
    def submitted_data(self, obj):
        return shown(obj.data, indent=2)
