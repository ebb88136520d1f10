from django.apps import apps
from django.contrib import admin

from audit.models import AuditEntry
from audit.signals import AUDITED
from core import scoping
from core.admin import (
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
)
from profiles.models import Profile


class ObjectTypeFilter(admin.SimpleListFilter):
    """Filter by the kind of object changed: the audited models, named as people know them
    (Django's filter of a plain column would read the whole table for its values)."""

    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(label, apps.get_model(label)._meta.verbose_name) for label in AUDITED]

    def queryset(self, request, queryset):
        if self.value() in AUDITED:
            return queryset.filter(object_type=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(KeysetPagesMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Audit entries are evidence: readable by staff, never written or removed by hand."""

    list_display = ["at", "actor_name", "channel", "action", "object_type", "object_id"]
    keyset_orders = {"at": ["at", "id"], "object_type": ["object_type", "object_id", "id"]}
    list_filter = ["channel", "action", ObjectTypeFilter, "erased", "at"]
    search_fields = ["object_id", "profile_id", "actor_name"]
    # No date_hierarchy: its year links read the time of every entry; the "at" filter's
    # ranges take its place.
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
