"""Finding a job the user may follow, or answering 404 (its existence stays hidden)."""

from django.shortcuts import get_object_or_404

from jobs.models import Job


def get_job_for_user(request, job_id):
    """Return the job if the user may follow it: its creator, staff of its database."""
    return get_object_or_404(
        Job.objects.visible_to(request.user).select_related("created_by", "database"), pk=job_id
    )


def may_cancel(user, job):
    """Only who started a job (or a superuser) stops it; staff may only watch it."""
    return not job.finished and (job.created_by_id == user.pk or user.is_superuser)
