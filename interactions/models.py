"""Trigger mailings, scenarios and the global control group's settings.

A trigger is a message of one resource's channel (and optionally one category) that a
database's profiles receive one at a time: sent by hand from the profile page or the API,
and by scenarios. Its subject and body are templates over the profile
(``interactions.templating``). Sending is an operation (``operations.triggers``): it
picks the subscription by the delivery rules, sends, and records a ``send`` event.

A scenario is a sequence of steps (``interactions.steps``) a profile goes through once
engaged: its participation keeps the steps as they were then (the scenario's version), so
editing a scenario never changes the course of the profiles already in it.

The global control group of a database is a share of its profiles that marketing messages
skip, to measure what they bring. Membership is a seeded hash of the profile ID and the
period: the same profiles for the whole period, others after it.
"""

from datetime import UTC, datetime
from decimal import Decimal

import xxhash
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.text import validate_text

from . import steps as step_types
from .templating import compile_template

SUBJECT_MAX_LENGTH = 998  # RFC 5322's line length


class Trigger(models.Model):
    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="triggers"
    )
    resource = models.ForeignKey(
        "subscriptions.Resource", on_delete=models.PROTECT, related_name="triggers"
    )
    channel = models.ForeignKey(
        "subscriptions.Channel", on_delete=models.PROTECT, related_name="triggers"
    )
    category = models.ForeignKey(
        "subscriptions.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggers",
        help_text="Only subscriptions subscribed to this category receive it.",
    )
    subject = models.CharField(
        max_length=SUBJECT_MAX_LENGTH,
        blank=True,
        help_text="A template: {{ profile.first_name }}, {{ profile.fields.<name> }}.",
    )
    body = models.TextField(help_text="A template, like the subject.")
    enabled = models.BooleanField(default=True)
    subscription_filter = models.JSONField(
        default=dict,
        blank=True,
        help_text='Only subscriptions with these field values, e.g. {"device_type": "mobile"} '
        "or a custom subscription field of the resource.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_trigger_name")
        ]
        permissions = [("send_trigger", "Can send a trigger mailing to a profile by hand")]

    def __str__(self):
        return self.name

    def clean(self):
        """The channel must be one of the resource's, the category the resource's; the
        templates must compile and name only fields the database has."""
        errors = {}
        if (
            self.resource_id
            and self.channel_id
            and not self.resource.channels.filter(pk=self.channel_id).exists()
        ):
            errors["channel"] = [f"Resource “{self.resource}” has no channel {self.channel}."]
        if self.category_id and self.resource_id and self.category.resource_id != self.resource_id:
            errors["category"] = [f"Choose a category of resource “{self.resource}”."]
        custom = (
            [field.name for field in self.database.custom_fields.all()] if self.database_id else []
        )
        for name in ("subject", "body"):
            try:
                compile_template(getattr(self, name), custom_names=custom)
            except ValidationError as error:
                errors[name] = error.messages
        errors.update(self._filter_errors())
        if errors:
            raise ValidationError(errors)

    def _filter_errors(self):
        if not isinstance(self.subscription_filter, dict):
            return {"subscription_filter": ["Enter an object of field names and values."]}
        if not self.resource_id:
            return {}
        known = set(FILTERABLE) | {field.name for field in self.resource.fields.all()}
        unknown = sorted(set(self.subscription_filter) - known)
        if unknown:
            return {
                "subscription_filter": [
                    f"Unknown subscription field {unknown[0]}: use {', '.join(FILTERABLE)} or "
                    f"a custom field of resource “{self.resource}”."
                ]
            }
        for name, value in self.subscription_filter.items():
            if not isinstance(value, str | int | float | bool) or len(str(value)) > 200:
                return {
                    "subscription_filter": [
                        f"{name}: enter one value (text of at most 200 characters, a number "
                        "or true/false)."
                    ]
                }
        return {}

    def matches(self, subscription):
        """Whether the subscription passes the trigger's subscription filter."""
        for name, wanted in self.subscription_filter.items():
            if name in FILTERABLE:
                value = getattr(subscription, name)
            else:
                value = (subscription.custom_values or {}).get(name)
            if value != wanted:
                return False
        return True


# The standard subscription fields a trigger may filter on.
FILTERABLE = ("device_type", "platform", "browser", "platform_language", "app_id")


class ScenarioQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Scenario.Status.ACTIVE)


class Scenario(models.Model):
    """A sequence of steps a profile goes through once engaged (by hand or over the API)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="scenarios"
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.ACTIVE,
        help_text="A paused scenario takes no new profile and runs no step until it is active.",
    )
    allow_reentry = models.BooleanField(
        "allow re-entry",
        default=False,
        help_text="Whether a profile may enter it again (also while it is still running it).",
    )
    steps = models.JSONField(
        default=list,
        blank=True,
        help_text="A list of {type, …}: send_trigger {trigger}, wait {seconds}, "
        "add_to_segment {segment}, remove_from_segment {segment}, set_field {field, value}, exit.",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one each time the steps change."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_scenario_name")
        ]
        permissions = [("engage_scenario", "Can engage a profile in a scenario by hand")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """A change of the steps is a new version (participations keep the one they began)."""
        if self.pk is not None:
            stored = Scenario.objects.filter(pk=self.pk).values_list("steps", "version").first()
            if stored is not None and stored[0] != self.steps:
                self.version = stored[1] + 1
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)

    def clean(self):
        if self.database_id:
            self.steps = step_types.clean_steps(self.steps, self.database)

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    def describe_steps(self):
        return [step_types.describe(step) for step in self.steps]


class ParticipationQuerySet(models.QuerySet):
    def running(self):
        return self.filter(status=Participation.Status.RUNNING)

    def due(self, now):
        """Running participations of active scenarios whose next step is due."""
        return self.running().filter(next_run_at__lte=now, scenario__status=Scenario.Status.ACTIVE)


class Participation(models.Model):
    """A profile's way through a scenario: where it is, what each step did, how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        EXITED = "exited", "Exited"
        FAILED = "failed", "Failed"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="participations")
    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="participations"
    )
    version = models.PositiveIntegerField(help_text="The scenario's version it follows.")
    steps = models.JSONField(default=list, help_text="The scenario's steps when it entered.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    current_step = models.PositiveIntegerField(
        default=0, help_text="The index of the step it runs next (or ended on)."
    )
    next_run_at = models.DateTimeField(
        null=True, blank=True, help_text="When its next step is due (running only)."
    )
    results = models.JSONField(
        default=list, blank=True, help_text="What each step did: {step, type, at, outcome, detail}."
    )
    failure = models.TextField(blank=True)
    source = models.CharField(max_length=20, default="ui")
    entered_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["-entered_at", "-id"]
        indexes = [
            # The worker's look for due steps.
            models.Index(
                fields=["next_run_at"],
                condition=models.Q(status="running"),
                name="participation_due",
            ),
            models.Index(fields=["profile", "-entered_at"], name="participation_profile"),
            models.Index(fields=["scenario", "profile", "status"], name="participation_scenario"),
        ]

    def __str__(self):
        return f"{self.profile} in {self.scenario}"

    @property
    def finished(self):
        return self.status != self.Status.RUNNING

    def current_step_label(self, names=None):
        """Where it is (the step it runs next) or where it ended, in words; ``names`` as
        for ``steps.describe``."""
        steps, index = self.steps, self.current_step
        if self.status == self.Status.EXITED:  # it ends on the exit step
            return f"Exited at step {index + 1} of {len(steps)}"
        if self.status == self.Status.FINISHED:
            return "End"
        if index >= len(steps):  # running: the last step was a wait, then it finishes
            return "Ends after the wait"
        prefix = "Failed at step" if self.status == self.Status.FAILED else "Step"
        return f"{prefix} {index + 1} of {len(steps)}: {step_types.describe(steps[index], names)}"


def current_period(period_days, now=None):
    """The number of the control group's period ``now`` falls in (periods of ``period_days``
    days counted from the Unix epoch, so every process agrees on them without a table)."""
    now = now or timezone.now()
    return int(now.timestamp() // (period_days * 86_400))


class ControlGroup(models.Model):
    """The global control group's settings of one profile database, and its last formation."""

    database = models.OneToOneField(
        "profiles.ProfileDatabase",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="control_group",
    )
    enabled = models.BooleanField(default=False)
    share_percent = models.DecimalField(
        "share (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text="The share of the database's profiles in the group, 0.01 to 100.",
    )
    period_days = models.PositiveIntegerField(
        "period (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The group stays the same for this many days, then is formed anew.",
    )
    formed_at = models.DateTimeField(null=True, blank=True)
    formed_period = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="The period it was last formed for."
    )
    size = models.PositiveIntegerField(default=0, help_text="Members at the last formation.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "global control group"

    def __str__(self):
        return f"Global control group of {self.database}"

    def period(self, now=None):
        return current_period(self.period_days, now)

    def is_due(self, now=None):
        """Whether the group should be formed (anew): never formed, or its period is over."""
        if not self.enabled:
            return self.formed_period is not None and self.size > 0
        return self.formed_period != self.period(now)

    def threshold(self):
        return int(self.share_percent * 100)  # out of 10,000

    def includes(self, profile_id, period):
        """Whether the profile is in the group in ``period`` (a seeded hash, so reproducible)."""
        if not self.enabled:
            return False
        digest = xxhash.xxh64_intdigest(f"{self.database_id}:{period}:{profile_id}".encode())
        return digest % 10_000 < self.threshold()

    def period_ends_at(self):
        if self.formed_period is None:
            return None
        seconds = (self.formed_period + 1) * self.period_days * 86_400
        return datetime.fromtimestamp(seconds, tz=UTC)
