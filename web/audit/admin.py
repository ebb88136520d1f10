from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q

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
    search_fields = ["object_id"]  # the search itself is get_search_results
    search_help_text = (
        "A profile_id, a changed object's id (a subscription ID) or a user name "
        "(a removed user's as written)."
    )
    # No date_hierarchy: its year links read the time of every entry; the "at" filter's
    # ranges take its place.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        """Match whole values through indexes: the entries of a profile, of an object (its
        type among the audited models, then its id) and of a user (looked up first; one
        removed since by the name the entries kept). A part
        of a value would read every entry: the log grows by one for each change."""
        text = search_term.strip()
        if not text:
            return queryset, False
        users = get_user_model().objects.filter(username__iexact=text).values_list("pk", flat=True)
        query = Q(profile_id=text.lower()) | Q(object_type__in=list(AUDITED), object_id=text)
        query |= Q(actor_id__in=list(users[:10]))
        # A user removed since: the entries keep the name (migration audit 0003's index).
        query |= Q(actor__isnull=True, actor_name=text) & ~Q(actor_name="")
        return queryset.filter(query), False

    def get_queryset(self, request):
        """Entries about profiles of the databases the staff member may see (all of them,
        deleted profiles' included, for those who see every database)."""
        entries = super().get_queryset(request)
        if scoping.may_see_every_database(request.user):
            return entries
        visible = Profile.objects.visible_to(request.user).values("profile_id")
        return entries.filter(profile_id__in=visible)
