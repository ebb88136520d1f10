"""Bulk actions of the profile list: on the selected profiles or on every one the list's
filters match, after a confirmation page that says what will happen to how many.

The work is done by ``operations.bulk_profiles`` (segment, status, delete) and
``operations.list_exports`` (export), which take only the profiles of the user's
databases; the permission of each action is checked here and again there.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.status import Status
from operations import bulk_profiles
from operations.list_exports import FORMATS, start_export
from segments.models import Segment
from web.jobs.views import job_file

from ..access import require_perm

# (action, label, permission) in the order the bar offers them.
BAR_ACTIONS = [
    ("segment", "Add to a segment", "profiles.change_profile"),
    ("status", "Set the global status", "profiles.change_profile"),
    ("export", "Export", "profiles.export_profile"),
    ("delete", "Delete", "profiles.delete_profile"),
]
SAMPLE_SIZE = 10
EXPORT_FILTERS = ("search", "database", "status")


def bulk_context(user, databases):
    """What the list's bulk bar offers this user: the actions they may take, the segments
    of their databases (one query, and none for a user who may change nothing)."""
    actions = [(slug, label) for slug, label, perm in BAR_ACTIONS if user.has_perm(perm)]
    segments = []
    if user.has_perm("profiles.change_profile"):
        segments = list(
            Segment.objects.filter(database__in=[database.pk for database in databases])
            .select_related("database")
            .order_by("database__name", "name")
        )
    if not segments:  # nothing to add to
        actions = [(slug, label) for slug, label in actions if slug != "segment"]
    return {
        "bulk_actions": actions,
        "bulk_segments": segments,
        "bulk_statuses": Status.choices,
        "bulk_formats": FORMATS,
    }


def _back(post):
    """The list as it was: its filters and order."""
    params = [
        (key, value)
        for key in (*bulk_profiles.FILTER_KEYS, "sort")
        for value in post.getlist(key)
        if value.strip()
    ]
    return reverse("profiles:list") + ("?" + urlencode(params) if params else "")


@login_required
@require_POST
def profile_bulk(request):
    """Confirm, then apply, an action of the bulk bar to the selected or filtered profiles."""
    require_perm(request.user, "profiles.view_profile")
    post = request.POST
    action, scope = post.get("action", ""), post.get("scope", "selected")
    back = _back(post)
    permission = next((perm for slug, _, perm in BAR_ACTIONS if slug == action), None)
    if permission is None:
        messages.error(request, "Choose an action for the profiles.")
        return redirect(back)
    require_perm(request.user, permission)
    selected = list(dict.fromkeys(value for value in post.getlist("profile") if value))
    if scope == "selected" and not selected:
        messages.error(request, "Select profiles first, or choose all the profiles listed.")
        return redirect(back)
    profile_ids = selected if scope == "selected" else None
    filters = bulk_profiles.filter_data(post)
    try:
        segment, status = (None, None)
        if action != "export":
            segment, status = bulk_profiles.check(
                request.user, action, segment=post.get("segment"), status=post.get("new_status")
            )
        profiles = bulk_profiles.targets(request.user, profile_ids=profile_ids, filters=filters)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    if post.get("confirm") != "yes":
        return _confirmation(request, action, scope, profiles, segment, status, back)
    if action == "export":
        return _export(request, profiles, profile_ids, filters, back)
    job = bulk_profiles.start(
        request.user,
        action,
        profile_ids=profile_ids,
        filters=filters,
        segment=segment.pk if segment else None,
        status=status,
    )
    if job.worker == "inline":  # done in this request
        if job.status == job.Status.SUCCEEDED:
            messages.success(request, bulk_profiles.summary(job))
        else:
            messages.error(request, f"The action failed: {job.failure}")
        return redirect(back)
    messages.success(request, "Started on the worker: this page follows it.")
    return redirect("jobs:detail", job.pk)


def _confirmation(request, action, scope, profiles, segment, status, back):
    total, taken = bulk_profiles.counts(profiles, segment)

    def database_names(profiles):
        names = profiles.order_by().values_list("database__name", flat=True).distinct()
        return list(names[:SAMPLE_SIZE])

    databases, left_out_databases = [], []
    if segment is None:
        databases = database_names(profiles)
    else:  # only the profiles of the segment's database are added: they are the sample
        if total > taken:
            left_out_databases = database_names(profiles.exclude(database_id=segment.database_id))
        profiles = profiles.filter(database_id=segment.database_id)
    ctx = {
        "action": action,
        "action_label": {slug: label for slug, label, _ in BAR_ACTIONS}[action],
        "scope": scope,
        "total": total,
        "taken": taken,
        "left_out": total - taken,
        "left_out_databases": left_out_databases,
        "segment": segment,
        "status_label": Status(status).label if status else "",
        "sample": list(profiles.order_by("-id")[:SAMPLE_SIZE]),
        "databases": databases,
        "fields": [
            (key, value)
            for key, values in request.POST.lists()
            if key not in ("csrfmiddlewaretoken", "confirm")
            for value in values
        ],
        "back": back,
    }
    return render(request, "profiles/bulk_confirm.html", ctx)


def _export(request, profiles, profile_ids, filters, back):
    """Export the profiles through the list's export job: one database at a time."""
    require_perm(request.user, "profiles.export_profile")
    if profile_ids is None and set(filters) - set(EXPORT_FILTERS):
        messages.error(request, "An export takes the search, database and status filters only.")
        return redirect(back)
    databases = list(profiles.order_by().values_list("database", flat=True).distinct()[:2])
    if len(databases) != 1:
        messages.error(request, "Choose profiles of one database: one export holds one database.")
        return redirect(back)
    database = profiles.first().database
    try:
        job = start_export(
            request.user,
            database,
            search=filters.get("search", "") if profile_ids is None else "",
            status=filters.get("status", []) if profile_ids is None else [],
            fmt=request.POST.get("format", "csv"),
            profile_ids=profile_ids,
            inline=None,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    if job.worker == "inline" and job.result_file() is not None:
        return job_file(request, job)
    messages.success(request, f"Export of {database} started.")
    return redirect("jobs:detail", job.pk)
