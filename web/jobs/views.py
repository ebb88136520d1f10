"""The pages of background jobs: the user's recent jobs, one job's progress, cancel, download.

The progress (``jobs/detail.html#progress``) is a partial any page may include for a job: while the
job runs it asks again every second (htmx), and the answer for a finished job no longer
asks, so the polling stops by itself.
"""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.htmx import ANY_TARGET, after_change, answer
from jobs.kinds import get_kind
from jobs.models import Job
from jobs.runner import cancel

from .access import get_job_for_user, may_cancel

RECENT = 50


@login_required
@require_GET
def job_list(request):
    """The jobs the user started, newest first."""
    jobs = (
        Job.objects.visible_to(request.user)
        .filter(created_by=request.user)
        .select_related("database")[:RECENT]
    )
    return render(request, "jobs/list.html", {"jobs": list(jobs)})


def progress_context(request, job):
    return {"job": job, "can_cancel": may_cancel(request.user, job), "stale": job.is_stale()}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def job_detail(request, job_id):
    """A job's progress: the whole page, or (htmx polling) the progress alone."""
    job = get_job_for_user(request, job_id)
    ctx = progress_context(request, job)
    return answer(request, "jobs/detail.html", ctx, partials={ANY_TARGET: "progress"})


@login_required
@require_POST
def job_cancel(request, job_id):
    """Stop a job started by this user (what its chunks committed stays)."""
    job = get_job_for_user(request, job_id)
    if job.finished:
        message = f"{job.label()} had already ended."
    elif may_cancel(request.user, job):
        job = cancel(job)
        message = f"{job.label()}: stopping."
    else:
        raise PermissionDenied("Only who started a job stops it.")
    return after_change(
        request,
        fragment=lambda: render(
            request, "jobs/detail.html#progress", progress_context(request, job)
        ),
        redirect_to=reverse("jobs:detail", args=[job.pk]),
        message=message,
    )


def job_file(request, job):
    """The file a finished job made, for one who may follow the job and has its kind's
    permission (an export holds personal data: never a public media URL)."""
    permission = get_kind(job.kind).permission
    if permission and not request.user.has_perm(permission):
        raise PermissionDenied("Downloading this needs the permission to export profiles.")
    path = job.result_file()
    if path is None:
        raise Http404("This job made no file, or it is gone.")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    download = f"{job.kind}-{job.created_at:%Y%m%d-%H%M%S}{path.suffix}"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=download, content_type=content_type
    )


@login_required
@require_GET
def job_download(request, job_id):
    return job_file(request, get_job_for_user(request, job_id))
