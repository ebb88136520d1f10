"""Scenarios at work: engaging a profile, and running its participation's due steps.

``engage`` starts a participation (with the scenario's steps as they are now) and queues
``run_due_steps`` for the worker. The worker runs the steps that are due, one participation
at a time under a row lock (several workers never run the same step twice): each step's
outcome goes into the participation's results; a ``wait`` sets when the next step is due
and stops there; ``exit`` or the last step ends it. A step that cannot be done (its trigger
or segment is gone, a template error, a delivery failure, a value no longer valid) ends the
participation as failed with the reason: it is never tried again, so nothing loops.
The worker also looks for due steps every second (``jobs.periodic``).
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from core.races import read_again
from interactions.models import Participation, Scenario, Trigger
from interactions.steps import SETTABLE
from segments.models import Segment

from .profiles import lock_profile, update_profile
from .segments import add_to_segment, remove_from_segment
from .triggers import DELIVERY_FAILED, TEMPLATE, send_trigger

logger = logging.getLogger(__name__)

DUE_BATCH = 200
FAILED = "failed"


class EngagementRefused(Exception):
    """The profile cannot enter the scenario now (paused, or running it without re-entry)."""


def engage(scenario, profile, *, source):
    """Put the profile in the scenario; return its participation (its first steps queued)."""
    if scenario.database_id != profile.database_id:
        raise ValidationError(
            {
                "scenario": [
                    f"Scenario “{scenario.name}” belongs to database “{scenario.database}”, "
                    f"not to the profile's (“{profile.database}”)."
                ]
            }
        )
    with transaction.atomic():
        # One engagement of a profile at a time: two at once cannot both pass the check.
        lock_profile(profile.pk)
        scenario = read_again(Scenario.objects.select_for_update(), pk=scenario.pk)
        if not scenario.is_active:
            raise EngagementRefused(f"Scenario “{scenario.name}” is paused: it takes no profile.")
        if not scenario.allow_reentry:
            earlier = scenario.participations.filter(profile=profile).order_by("-id").first()
            if earlier is not None:
                state = "is running it" if not earlier.finished else "went through it already"
                raise EngagementRefused(
                    f"The profile {state}, and scenario “{scenario.name}” allows no re-entry."
                )
        participation = Participation.objects.create(
            scenario=scenario,
            profile=profile,
            version=scenario.version,
            steps=scenario.steps,
            next_run_at=timezone.now(),
            source=source,
        )
        run_due_steps.enqueue()
    participation.refresh_from_db()  # a backend that runs tasks at once (the tests') ran it
    return participation


@task()
def run_due_steps():
    """The worker's task: run every participation's due steps."""
    return advance_due()


def advance_due(now=None):
    """Run the due steps of every participation that has some; return how many advanced."""
    advanced = 0
    while True:
        ids = list(
            Participation.objects.due(now or timezone.now())
            .order_by("next_run_at")
            .values_list("pk", flat=True)[:DUE_BATCH]
        )
        for participation_id in ids:
            advanced += advance(participation_id, now)
        if len(ids) < DUE_BATCH:
            return advanced


def advance(participation_id, now=None):
    """Run the participation's due steps, if no other worker is; return whether it ran any."""
    with transaction.atomic():
        participation = (
            Participation.objects.due(now or timezone.now())
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("scenario", "profile__database")
            .filter(pk=participation_id)
            .first()
        )
        if participation is None:
            return False  # not due any more, or another worker has it
        _run(participation, now)
        participation.save()
    return True


def _run(participation, now):
    """Run steps from the current one until a wait, an exit, a failure or the end."""
    while participation.current_step < len(participation.steps):
        index = participation.current_step
        step = participation.steps[index]
        at = now or timezone.now()
        try:
            with transaction.atomic():  # a step that fails leaves nothing half-done
                outcome, detail = RUNNERS[step["type"]](participation, step)
        except Exception as error:
            if isinstance(error, StepFailed):
                failure = str(error)
            else:
                logger.exception("Step %s of participation %s failed", index, participation.pk)
                failure = f"{type(error).__name__}: {error}"
            _record(participation, index, step, at, FAILED, failure)
            _end(participation, Participation.Status.FAILED, at, failure=failure)
            return
        _record(participation, index, step, at, outcome, detail)
        if outcome == FAILED:  # done, and recorded (a send event), but it failed
            _end(participation, Participation.Status.FAILED, at, failure=detail)
            return
        if step["type"] == "exit":  # it ends on this step
            _end(participation, Participation.Status.EXITED, at)
            return
        participation.current_step = index + 1
        if step["type"] == "wait":
            participation.next_run_at = at + timedelta(seconds=step["seconds"])
            return
    _end(participation, Participation.Status.FINISHED, now or timezone.now())


def _record(participation, index, step, at, outcome, detail):
    result = {"step": index, "type": step["type"], "at": at.isoformat(), "outcome": outcome}
    if detail:
        result["detail"] = detail
    participation.results = [*participation.results, result]


def _end(participation, status, at, failure=""):
    participation.status = status
    participation.finished_at = at
    participation.next_run_at = None
    participation.failure = failure


class StepFailed(Exception):
    """A step that cannot be done: the participation fails with this message."""


def _send(participation, step):
    trigger = Trigger.objects.select_related("database", "resource", "channel").filter(
        pk=step["trigger"], database_id=participation.profile.database_id
    )
    trigger = trigger.first()
    if trigger is None:
        raise StepFailed(f"Trigger {step['trigger']} no longer exists.")
    result = send_trigger(
        trigger, participation.profile, source="scenario", scenario=participation.scenario
    )
    if result.reason in (TEMPLATE, DELIVERY_FAILED):  # the send event stays, it says why
        return FAILED, f"“{trigger.name}” was not sent: {result.message}"
    detail = f"“{trigger.name}” " + ("sent." if result.sent else f"not sent: {result.message}")
    return result.status, detail


def _wait(participation, step):
    return "waited", ""


def _segment(participation, step):
    segment = Segment.objects.filter(
        pk=step["segment"], database_id=participation.profile.database_id
    ).first()
    if segment is None:
        raise StepFailed(f"Segment {step['segment']} no longer exists.")
    if step["type"] == "add_to_segment":
        changed = add_to_segment(segment, participation.profile)
        return "done", f"Added to “{segment.name}”." if changed else f"Already in “{segment.name}”."
    changed = remove_from_segment(segment, participation.profile)
    return "done", f"Removed from “{segment.name}”." if changed else f"Not in “{segment.name}”."


def _set_field(participation, step):
    name, value = step["field"], step["value"]
    values = {name: value} if name in SETTABLE else {"custom_values": {name: value}}
    try:
        update_profile(participation.profile, values, source="scenario")
    except ValidationError as error:
        messages = [m for ms in error.message_dict.values() for m in ms]
        raise StepFailed(f"{name} could not be set: {' '.join(messages)}") from None
    return "done", f"{name} set to {value!r}."


def _exit(participation, step):
    return "exited", ""


RUNNERS = {
    "send_trigger": _send,
    "wait": _wait,
    "add_to_segment": _segment,
    "remove_from_segment": _segment,
    "set_field": _set_field,
    "exit": _exit,
}
