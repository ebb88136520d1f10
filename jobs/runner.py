"""Running jobs on the worker: chunk by chunk, each chunk's work committed with the job's
new position, so a job resumes where it stopped and never does a chunk twice.

``start`` creates a job and queues ``run_job`` (django-tasks' database backend: the task is
a row written in the caller's transaction, so the worker sees it when that commits).
``recover`` takes up the jobs whose worker died: queued again, they resume from their last
committed chunk. ``manage.py db_worker`` (``jobs.management.commands.db_worker``) recovers
when it starts, and every little while as it runs.
"""

import logging
import time

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from core.races import lost_race

from .kinds import get_kind
from .models import ERROR_SAMPLES, Job

logger = logging.getLogger(__name__)

STEP_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.2


def start(kind, *, user, database=None, params=None, inline=False):
    """Create a job of ``kind`` for ``user`` and queue it; return the job.

    ``inline`` runs it at once, in the caller (a small job a person waits for), with the
    same record as on the worker.
    """
    get_kind(kind)  # an unknown kind fails here, in the request, not in the worker
    job = Job.objects.create(
        kind=kind,
        created_by=user if user is not None and user.is_authenticated else None,
        database=database,
        params=params or {},
    )
    if inline:
        run(str(job.pk), worker="inline")
    else:
        run_job.enqueue(str(job.pk))
    job.refresh_from_db()  # a backend that runs tasks at once (the tests') has run it
    return job


@task(takes_context=True)
def run_job(context, job_id):
    """The worker's entry point: run the job, as this worker."""
    worker_ids = context.task_result.worker_ids
    run(job_id, worker=worker_ids[-1] if worker_ids else "immediate")


def run(job_id, *, worker):
    """Run the job's chunks until it is done, fails, is cancelled or taken over."""
    if not _claim(job_id, worker):
        return
    try:
        kind = get_kind(Job.objects.values_list("kind", flat=True).get(pk=job_id))
        while not _step_again_if_it_lost(job_id, kind, worker):
            pass
    except Exception as error:  # the job fails, the worker goes on with the next
        logger.exception("Job %s failed", job_id)
        _finish(job_id, Job.Status.FAILED, failure=f"{type(error).__name__}: {error}")


def _claim(job_id, worker):
    """Take the job for this worker: not one that is finished, nor one another live worker
    runs. Return whether it was taken."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        now = timezone.now()
        if job.finished or (job.status == Job.Status.RUNNING and not job.is_stale(now)):
            return False
        job.status, job.worker, job.heartbeat_at = Job.Status.RUNNING, worker, now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "worker", "heartbeat_at", "started_at"])
    return True


def _step_again_if_it_lost(job_id, kind, worker):
    """``_step``, run again when it lost a race with a request (``core.races``: a deadlock
    with an event batch, a profile deleted meanwhile): its transaction, the job's new
    position included, was rolled back whole, so the same chunk is done again, a little
    later each time, up to ``STEP_ATTEMPTS`` times; then the job fails as for any error."""
    for attempt in range(1, STEP_ATTEMPTS + 1):
        try:
            return _step(job_id, kind, worker)
        except Exception as error:
            if not lost_race(error) or attempt == STEP_ATTEMPTS:
                raise
            logger.warning("Job %s: a step lost a race (%s), run again", job_id, error)
            time.sleep(RETRY_PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")  # the last attempt returned or raised


def _step(job_id, kind, worker):
    """Run the next chunk and record it; return whether the job is over (for this worker)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.worker != worker or job.finished:
            return True  # taken over by another worker (this one was thought dead), or ended
        if job.cancel_requested:
            _end(job, Job.Status.FAILED, failure="Cancelled.")
            return True
        chunk = kind.step(job)
        job.position = chunk.position
        job.done += chunk.done
        job.errors += len(chunk.errors)
        job.error_samples = [*job.error_samples, *chunk.errors][:ERROR_SAMPLES]
        if chunk.total is not None:
            job.total = chunk.total
        job.heartbeat_at = timezone.now()
        if chunk.last:
            _end(job, Job.Status.SUCCEEDED, result=chunk.result)
        else:
            job.save()
        return chunk.last


def _end(job, status, *, result=None, failure=""):
    job.status, job.result, job.failure = status, result, failure
    job.finished_at = timezone.now()
    job.save()


def _finish(job_id, status, **outcome):
    with transaction.atomic():
        _end(Job.objects.select_for_update().get(pk=job_id), status, **outcome)


def cancel(job):
    """Stop a job: a queued one at once, a running one at its next chunk (what its chunks
    committed stays)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.finished:
            return job
        if job.status == Job.Status.QUEUED:
            _end(job, Job.Status.FAILED, failure="Cancelled.")
        else:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
    return job


def recover(now=None):
    """Queue again the running jobs whose worker died; return how many. Each resumes from
    its last committed chunk on the next free worker."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(Job.objects.stale(now).select_for_update(skip_locked=True))
        for job in stale:
            job.status, job.worker = Job.Status.QUEUED, ""
            job.interruptions += 1
            job.interrupted_at = now
            job.save(update_fields=["status", "worker", "interruptions", "interrupted_at"])
            run_job.enqueue(str(job.pk))
    for job in stale:
        logger.warning("Job %s lost its worker; queued again from its last chunk", job.pk)
    return len(stale)
