"""Background jobs people can follow: what runs, for whom, how far it got, what it gave.

A job is one long task (an export, an import of a file, a trigger's sends…) that the worker
runs chunk by chunk (``jobs.runner``). Each chunk commits its work together with the job's
position, so a worker killed mid-job leaves a job that resumes from its last chunk and
never repeats one. The job's kind says what a chunk does (``jobs.kinds``).
"""

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core import scoping

from .kinds import label_of


def stale_after():
    """How long a running job's worker may go without reporting before it counts as dead
    (settings.JOB_STALE_SECONDS; a chunk reports when it commits)."""
    return timedelta(seconds=settings.JOB_STALE_SECONDS)


# The errors of single items a job keeps to show (it counts them all).
ERROR_SAMPLES = 100


def files_root():
    """Where jobs keep the files they make (named by the job's id): never served as media,
    only through the job's download, to who may follow it."""
    return Path(settings.MEDIA_ROOT) / "jobs"


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the jobs a user may follow: their own, and for staff every job of the
        databases they see. A job of a database the user no longer sees is hidden even from
        its creator (what it made holds that database's data)."""
        if scoping.may_see_every_database(user):
            return self
        if not (user.is_authenticated and user.is_active):
            return self.none()
        in_sight = models.Q(pk__in=scoping.visible(self, user).values("pk"))
        own = models.Q(created_by=user) & (in_sight | models.Q(database__isnull=True))
        return self.filter(own | in_sight) if user.is_staff else self.filter(own)

    def stale(self, now=None):
        """Return the running jobs whose worker stopped reporting (killed, or its host gone)."""
        since = (now or timezone.now()) - stale_after()
        return self.filter(status=Job.Status.RUNNING, heartbeat_at__lt=since)


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    database = models.ForeignKey(
        "profiles.ProfileDatabase",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        help_text="The profile database the job works on (who may see the job follows it).",
    )
    params = models.JSONField(default=dict, blank=True, help_text="What the job was asked.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    errors = models.PositiveIntegerField(default=0, help_text="Items that failed (counted).")
    error_samples = models.JSONField(default=list, blank=True, help_text="The first of them.")
    position = models.JSONField(
        null=True, blank=True, help_text="Where the next chunk starts (kept with each chunk)."
    )
    result = models.JSONField(null=True, blank=True)
    failure = models.TextField(blank=True, help_text="Why the job stopped, if it failed.")
    cancel_requested = models.BooleanField(default=False)
    interruptions = models.PositiveIntegerField(
        default=0, help_text="How many times its worker died and it was taken up again."
    )
    interrupted_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=64, blank=True, help_text="The worker running it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self):
        return f"{self.label()} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return reverse("jobs:detail", args=[self.pk])

    def file_path(self, suffix):
        """The path of this job's file with this suffix (``csv``, ``xlsx``…)."""
        return files_root() / f"{self.pk}.{suffix}"

    def result_file(self):
        """The file a succeeded job made (its result's ``file``), if it is still there."""
        name = (self.result or {}).get("file") if self.status == self.Status.SUCCEEDED else None
        path = files_root() / Path(name).name if name else None
        return path if path is not None and path.is_file() else None

    def delete_files(self):
        for path in files_root().glob(f"{self.pk}.*"):
            path.unlink(missing_ok=True)

    def label(self):
        return label_of(self.kind)

    def status_label(self):
        """The status as people read it: a running job whose worker died is "Interrupted";
        one that went through but left items in error says so (a green "Succeeded" read as
        all done when every row of an import was refused)."""
        if self.is_stale():
            return "Interrupted"
        if self.ended_with_errors:
            return "Done, with errors"
        return self.get_status_display()

    def status_style(self):
        """The class suffix of the status's badge: its status, or ``partial``."""
        return "partial" if self.ended_with_errors else self.status

    @property
    def ended_with_errors(self):
        return self.status == self.Status.SUCCEEDED and bool(self.errors)

    @property
    def finished(self):
        return self.status in self.FINISHED

    def is_stale(self, now=None):
        """Whether the job's worker died: it reports running, but not for a while."""
        since = (now or timezone.now()) - stale_after()
        return self.status == self.Status.RUNNING and (self.heartbeat_at or since) < since

    def elapsed(self, now=None):
        if self.started_at is None:
            return None
        return ((self.finished_at or now or timezone.now()) - self.started_at).total_seconds()

    def rate(self, now=None):
        """Items per second since the job started."""
        elapsed = self.elapsed(now)
        return self.done / elapsed if elapsed else None

    def eta(self, now=None):
        """Seconds left at the current rate, when the total is known."""
        rate = self.rate(now)
        if self.finished or not rate or self.total is None:
            return None
        return max(0.0, (self.total - self.done) / rate)

    def percent(self):
        if self.total:
            return min(100, round(100 * self.done / self.total))
        return 100 if self.status == self.Status.SUCCEEDED else 0
