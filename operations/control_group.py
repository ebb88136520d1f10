"""Forming a database's global control group, as a job: every profile is in it or not by a
seeded hash of its profile ID and the period (``ControlGroup.includes``), so the group is the
same however often it is formed within a period, and another after it.

The job walks the database's profiles in id order, a chunk at a time: it marks those that
enter (each entry a ``control_group_entered`` event) and unmarks those that leave, and the
last chunk records the group's size and when it was formed. Changing the settings forms the
group anew; the worker forms it anew when a period ends (``reform_due``, periodic). A new
profile joins the group of the current period as it is created (``assign_new_profile``).
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from history.services import record_for_many
from interactions.models import ControlGroup
from jobs import runner
from jobs.kinds import Chunk, JobKind, register
from jobs.models import Job
from profiles.models import Profile

KIND = "control_group"
CHUNK_PROFILES = 2000


def settings_of(database):
    """The database's control group settings (created, disabled, on first use)."""
    group, _ = ControlGroup.objects.get_or_create(database=database)
    return group


def change_settings(group, *, user, **values):
    """Save new settings; a change of what decides membership forms the group anew.
    Return the formation job, or None when nothing that matters changed. ``group`` is
    updated with what is stored (a formation may have run since it was read)."""
    decisive = ("enabled", "share_percent", "period_days")
    with transaction.atomic():
        stored = ControlGroup.objects.select_for_update().get(pk=group.pk)
        before = {name: getattr(stored, name) for name in decisive}
        for name, value in values.items():
            setattr(stored, name, value)
        stored.full_clean()
        stored.save(update_fields=[*values, "updated_at"])
    for field in ControlGroup._meta.concrete_fields:
        setattr(group, field.attname, getattr(stored, field.attname))
    if all(before[name] == getattr(stored, name) for name in decisive) and not stored.is_due():
        return None
    job = reform(stored.database, user=user)
    group.refresh_from_db()
    return job


def reform(database, *, user, inline=None):
    """Form the database's group anew now; return the job. Small databases are formed
    inline (the caller sees the result), others on the worker. A formation still queued or
    running for the database stops: the new one decides."""
    group = settings_of(database)
    for job in Job.objects.filter(kind=KIND, database=database, finished_at__isnull=True):
        runner.cancel(job)
    if inline is None:
        limit = settings.CONTROL_GROUP_INLINE_PROFILES
        inline = Profile.objects.filter(database=database)[: limit + 1].count() <= limit
    params = {
        "enabled": group.enabled,
        "share_percent": str(group.share_percent),
        "period_days": group.period_days,
        "period": group.period(),
    }
    return runner.start(KIND, user=user, database=database, params=params, inline=inline)


def _group(job):
    """The settings the job forms the group with (as they were when it started)."""
    return ControlGroup(
        database=job.database,
        enabled=job.params["enabled"],
        share_percent=Decimal(job.params["share_percent"]),
        period_days=job.params["period_days"],
    )


def step(job):
    position = job.position or {"after": 0, "members": 0, "entered": 0, "left": 0}
    total = Profile.objects.filter(database=job.database).count() if job.position is None else None
    group, period = _group(job), job.params["period"]
    # Locked: a formation still finishing its chunk while a new one starts (settings changed
    # twice) waits, then reads the marks the other left, so nobody's entry is recorded twice.
    rows = list(
        Profile.objects.filter(database=job.database, pk__gt=position["after"])
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "profile_id", "in_control_group")[:CHUNK_PROFILES]
    )
    entering, leaving, members = [], [], 0
    for pk, profile_id, member in rows:
        include = group.includes(profile_id, period)
        members += include
        if include and not member:
            entering.append(pk)
        elif member and not include:
            leaving.append(pk)
    now = timezone.now()
    Profile.objects.filter(pk__in=entering).update(in_control_group=True, updated_at=now)
    Profile.objects.filter(pk__in=leaving).update(in_control_group=False, updated_at=now)
    record_for_many(
        entering,
        "control_group_entered",
        {"share_percent": job.params["share_percent"], "period_days": group.period_days},
        occurred_at=now,
    )
    position = {
        "after": rows[-1][0] if rows else position["after"],
        "members": position["members"] + members,
        "entered": position["entered"] + len(entering),
        "left": position["left"] + len(leaving),
    }
    last = len(rows) < CHUNK_PROFILES
    result = None
    if last:
        ControlGroup.objects.filter(database=job.database).update(
            formed_at=now, formed_period=period, size=position["members"]
        )
        result = {key: position[key] for key in ("members", "entered", "left")}
    return Chunk(position, done=len(rows), total=total, last=last, result=result)


def reform_due(now=None):
    """Form anew each group whose period is over (or that was disabled with members left),
    unless a formation of its database is already under way. Periodic, on the worker."""
    started = []
    busy = Job.objects.filter(kind=KIND, finished_at__isnull=True).values("database_id")
    groups = ControlGroup.objects.exclude(database_id__in=busy).select_related("database")
    for group in groups:
        if group.is_due(now) and (group.enabled or group.formed_period is not None):
            started.append(reform(group.database, user=None, inline=False))
    return started


def new_profile_group(database):
    """The group a new profile of ``database`` may join: enabled and formed, else None."""
    group = ControlGroup.objects.filter(database=database, enabled=True).first()
    return group if group is not None and group.formed_period is not None else None


def assign_new_profile(profile):
    """Put a profile being created in its database's current group if the hash says so."""
    group = new_profile_group(profile.database)
    if group is not None:
        profile.in_control_group = group.includes(profile.profile_id, group.formed_period)


FORMATION = register(
    JobKind(KIND, "Control group formation", step, permission="interactions.change_controlgroup")
)
