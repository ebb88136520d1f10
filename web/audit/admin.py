from django.contrib import admin

from audit.models import AuditEntry
from core import scoping
from core.admin import EstimatedCountPaginator, ReadOnlyAdminMixin
from profiles.models import Profile


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Audit entries are evidence: readable by staff, never written or removed by hand."""

    list_display = ["at", "actor_name", "channel", "action", "object_type", "object_id"]
    list_filter = ["channel", "action", "object_type", "erased", "at"]
    search_fields = ["object_id", "profile_id", "actor_name"]
    date_hierarchy = "at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def get_queryset(self, request):
        """Entries about profiles of the databases the staff member may see (all of them,
        deleted profiles' included, for those who see every database)."""
        entries = super().get_queryset(request)
        if scoping.may_see_every_database(request.user):
            return entries
        visible = Profile.objects.visible_to(request.user).values("profile_id")
        return entries.filter(profile_id__in=visible)
