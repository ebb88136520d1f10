"""Admin of background jobs: every job the staff member may follow, read-only; the
superuser, or whoever may change jobs, may stop them."""

from django.contrib import admin, messages
from django_tasks_db.models import DBTaskResult

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
)
from jobs.kinds import registered_kinds
from jobs.models import Job
from jobs.runner import cancel

# The task queue's rows are the worker's bookkeeping (a job id each): jobs are what people
# follow, here and on their pages.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class KindFilter(admin.SimpleListFilter):
    """Filter by kind of job: the kinds registered (``jobs.kinds``), by their labels (Django's
    filter of a plain column would read the whole table for its values)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.slug, kind.label) for kind in registered_kinds()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Job)
class JobAdmin(KeysetPagesMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "label",
        "status_shown",
        "progress",
        "errors",
        "database",
        "created_by",
        "worker",
        "finished_at",
    ]
    keyset_orders = {"created_at": ["created_at", "id"]}
    list_filter = ["status", KindFilter, "created_at", SCOPED_DATABASE]
    list_select_related = ["database", "created_by"]
    search_fields = ["=id", "created_by__username", "worker"]
    search_help_text = "A job's id, a user name or a worker's id."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = [field.name for field in Job._meta.fields]
    actions = ["stop"]

    def get_queryset(self, request):
        return Job.objects.visible_to(request.user)

    @admin.display(description="status", ordering="status")
    def status_shown(self, job):
        return job.status_label()

    @admin.display(description="done")
    def progress(self, job):
        return f"{job.done} of {job.total}" if job.total is not None else str(job.done)

    def has_stop_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("jobs.change_job")

    @admin.action(description="Stop the selected jobs", permissions=["stop"])
    def stop(self, request, queryset):
        stopped = [cancel(job) for job in queryset if not job.finished]
        self.message_user(
            request,
            f"{len(stopped)} job{'s' if len(stopped) != 1 else ''} stopping "
            "(a running one after the step it is on).",
            messages.SUCCESS,
        )
