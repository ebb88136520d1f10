"""Admin of trigger mailings, scenarios, their participations and the global control groups.

Every list shows only the rows of the profile databases the staff member may see. A
trigger's and a scenario's checks are their models' ``clean`` (templates, channel, steps); a
control group's settings are saved through ``operations.control_group``, so a change of
what decides membership forms the group anew, as the "Form the group anew now" action does.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ScopedRelatedFilter,
    count_of,
)
from core.text import INT64_MAX
from interactions.models import ControlGroup, Participation, Scenario, Trigger
from interactions.steps import MAX_WAIT_SECONDS
from operations.control_group import change_settings, reform, settings_of
from profiles.models import Profile
from segments.models import Segment


@admin.register(Trigger)
class TriggerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "database", "resource", "channel", "category", "enabled", "updated_at"]
    list_filter = ["enabled", SCOPED_DATABASE, "channel", "resource"]
    list_select_related = ["database", "resource", "channel", "category"]
    search_fields = ["name", "subject"]
    fields = [
        "name",
        "database",
        "resource",
        "channel",
        "category",
        "subscription_filter",
        "subject",
        "body",
        "enabled",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # Scenarios of its database name it by id: it cannot move to another database.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields


STEP_TYPES = [
    ("send_trigger", '{"type": "send_trigger", "trigger": 3}', "send a trigger of the database"),
    ("wait", '{"type": "wait", "seconds": 3600}', f"1 to {MAX_WAIT_SECONDS:,} seconds"),
    ("add_to_segment", '{"type": "add_to_segment", "segment": 2}', "a static segment"),
    ("remove_from_segment", '{"type": "remove_from_segment", "segment": 2}', "a static segment"),
    (
        "set_field",
        '{"type": "set_field", "field": "city", "value": "Paris"}',
        "a standard field (not the email) or a custom field",
    ),
    ("exit", '{"type": "exit"}', "the profile leaves the scenario there"),
]


def steps_help(database=None):
    """The step types with an example each, and the ids the database's steps may name."""
    rows = format_html_join(
        "", "<li><code>{}</code>: {}</li>", ((example, what) for _, example, what in STEP_TYPES)
    )
    text = format_html(
        "A JSON list of steps, run in order; a profile in the scenario keeps the steps it "
        "entered with (each change is a new version).<ul>{}</ul>",
        rows,
    )
    if database is not None:
        for label, objects in (
            ("Triggers", Trigger.objects.filter(database=database)),
            ("Static segments", Segment.objects.filter(database=database)),
        ):
            named = ", ".join(f"{pk} {name}" for pk, name in objects.values_list("pk", "name"))
            text += format_html("<p>{} of {}: {}</p>", label, database, named or "none")
    return text


@admin.register(Scenario)
class ScenarioAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "database",
        "status",
        "allow_reentry",
        "version",
        "participation_count",
        "updated_at",
    ]
    list_filter = ["status", "allow_reentry", SCOPED_DATABASE]
    list_select_related = ["database"]
    search_fields = ["name"]
    fields = [
        "name",
        "database",
        "status",
        "allow_reentry",
        "steps",
        "steps_described",
        "version",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["steps_described", "version", "created_at", "updated_at"]
    actions = ["pause", "activate"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(participation_total=count_of(Participation, "scenario"))

    def get_readonly_fields(self, request, obj=None):
        # Its steps name the database's triggers and segments by id.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "steps" in form.base_fields:
            form.base_fields["steps"].help_text = steps_help(obj.database if obj else None)
            form.base_fields["steps"].widget = forms.Textarea(attrs={"rows": 12, "cols": 80})
        return form

    @admin.display(description="Participations", ordering="participation_total")
    def participation_count(self, obj):
        url = (
            reverse("admin:interactions_participation_changelist")
            + f"?scenario__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, obj.participation_total)

    @admin.display(description="Steps in words")
    def steps_described(self, obj):
        if not obj.pk or not obj.steps:
            return "—"
        return format_html(
            "<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((d,) for d in obj.describe_steps()))
        )

    @admin.action(description="Pause the selected scenarios", permissions=["change"])
    def pause(self, request, queryset):
        count = queryset.update(status=Scenario.Status.PAUSED)
        self.message_user(request, f"{count} scenario{'s' if count != 1 else ''} paused.")

    @admin.action(description="Activate the selected scenarios", permissions=["change"])
    def activate(self, request, queryset):
        count = queryset.update(status=Scenario.Status.ACTIVE)
        self.message_user(request, f"{count} scenario{'s' if count != 1 else ''} active.")


@admin.register(Participation)
class ParticipationAdmin(KeysetPagesMixin, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    database_path = "scenario__database"
    list_display = ["profile", "scenario", "status", "step", "entered_at", "finished_at"]
    keyset_orders = {
        "profile": ["profile_id", "id"],
        "scenario": ["scenario_id", "profile_id", "id"],
    }
    list_filter = ["status", ("scenario", ScopedRelatedFilter), "entered_at"]
    list_select_related = ["profile", "scenario"]
    search_fields = ["=profile__profile_id"]  # the search itself is get_search_results
    search_help_text = "A profile_id or an email."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counting per filter option scans the table
    ordering = ["-id"]
    readonly_fields = [field.name for field in Participation._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(profile_id__in=Profile.objects.ids_by_key(search_term)), False

    @admin.display(description="Step")
    def step(self, obj):
        return obj.current_step_label()  # ids for names: a list reads no trigger or segment


class ControlGroupForm(forms.ModelForm):
    class Meta:
        model = ControlGroup
        fields = ["database", "enabled", "share_percent", "period_days"]


@admin.register(ControlGroup)
class ControlGroupAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ControlGroupForm
    list_display = [
        "database",
        "enabled",
        "share_percent",
        "period_days",
        "size",
        "formed_at",
        "period_ends_at",
    ]
    list_filter = ["enabled"]
    list_select_related = ["database"]
    search_fields = ["database__name"]
    readonly_fields = ["size", "formed_at", "period_ends_at"]
    actions = ["form_anew"]

    def get_fields(self, request, obj=None):
        return ["database", "enabled", "share_percent", "period_days", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    def get_object(self, request, object_id, from_field=None):
        # The key is the database's (a OneToOneField): unlike an AutoField, Django does not
        # bound its lookups to the integer range, so SQLite would overflow on a huge id.
        if object_id.isdecimal() and int(object_id) > INT64_MAX:
            return None
        return super().get_object(request, object_id, from_field)

    def has_delete_permission(self, request, obj=None):
        # Turning the group off (enabled) lets its members go; the settings row stays.
        return False

    @admin.display(description="Formed anew after")
    def period_ends_at(self, obj):
        return obj.period_ends_at() or "—"

    def save_model(self, request, obj, form, change):
        """Save through the operation: a change of what decides membership forms the group
        anew (inline for a small database, else on the worker)."""
        group = settings_of(obj.database)
        values = {name: getattr(obj, name) for name in ("enabled", "share_percent", "period_days")}
        job = change_settings(group, user=request.user, **values)
        for name in ("formed_at", "formed_period", "size", "updated_at"):
            setattr(obj, name, getattr(group, name))
        if job is not None:
            self._report(request, group.database, job)

    def _report(self, request, database, job):
        job.refresh_from_db()
        url = reverse("jobs:detail", args=[job.pk])
        if job.status == job.Status.SUCCEEDED:
            result = job.result or {}
            text = format_html(
                "The control group of {} was formed anew: {} members ({} entered, {} left). "
                '<a href="{}">The job</a>.',
                database,
                result.get("members", 0),
                result.get("entered", 0),
                result.get("left", 0),
                url,
            )
            level = messages.SUCCESS
        elif job.finished:
            text = format_html(
                'Forming the control group of {} ended: {}. <a href="{}">The job</a>.',
                database,
                job.status_label().lower(),
                url,
            )
            level = messages.ERROR
        else:
            text = format_html(
                'The control group of {} is being formed anew on the worker: <a href="{}">follow '
                "the job</a>.",
                database,
                url,
            )
            level = messages.INFO
        self.message_user(request, text, level)

    @admin.action(description="Form the group anew now", permissions=["change"])
    def form_anew(self, request, queryset):
        for group in queryset.select_related("database"):
            self._report(request, group.database, reform(group.database, user=request.user))
