from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Audit entries are evidence: readable by staff, never written or removed by hand."""

    list_display = ["at", "actor_name", "channel", "action", "object_type", "object_id"]
    list_filter = ["channel", "action", "object_type", "erased", "at"]
    search_fields = ["object_id", "profile_id", "actor_name"]
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
