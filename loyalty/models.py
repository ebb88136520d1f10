"""Loyalty programs: tiers, promotions, the profiles enrolled and their points.

A program belongs to one profile database and enrols profiles of that database only. A
member's balance is the sum of its points transactions (accruals positive, write-offs
negative with a reason) and never goes below zero: the operation that adds a transaction
(``operations.loyalty.add_points``) locks the membership row, checks with
``Membership.check_points`` and writes the new balance with the transaction, and a check
constraint in the database refuses a negative balance whatever writes it.

A member's tier is not stored: it is the program's tier with the highest threshold the
balance reaches (``Program.tier_for``), so it follows every change of the balance and of the
tiers themselves.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.text import validate_text

# Bounds that keep every sum far from the 64-bit integer limit.
MAX_POINTS = 1_000_000_000  # one transaction, either way
MAX_BALANCE = 1_000_000_000_000
MAX_THRESHOLD = MAX_BALANCE
REASON_MAX_LENGTH = 200


class Program(models.Model):
    """A loyalty program of one profile database."""

    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="loyalty_programs"
    )
    description = models.TextField(blank=True, validators=[validate_text])
    active = models.BooleanField(
        default=True, help_text="An inactive program takes no new members; points still move."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "loyalty program"
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_loyalty_program_name")
        ]

    def __str__(self):
        return self.name

    def tier_for(self, balance, tiers=None):
        """The highest tier the balance reaches (None below the lowest threshold).

        ``tiers``: the program's tiers if already read (else the prefetched or stored ones).
        """
        reached = None
        for tier in self.tiers.all() if tiers is None else tiers:
            if balance >= tier.threshold and (
                reached is None or tier.threshold > reached.threshold
            ):
                reached = tier
        return reached

    def next_tier_for(self, balance, tiers=None):
        """The lowest tier the balance does not reach yet (None at the top)."""
        ahead = [t for t in (self.tiers.all() if tiers is None else tiers) if t.threshold > balance]
        return min(ahead, key=lambda tier: tier.threshold, default=None)


class Tier(models.Model):
    """A level of a program, reached when the balance is at least its threshold."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=100, validators=[validate_text])
    threshold = models.BigIntegerField(
        validators=[MaxValueValidator(MAX_THRESHOLD)],
        help_text="Points needed to reach it (0 or more): the highest tier reached applies.",
    )

    class Meta:
        ordering = ["program", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="unique_tier_name"),
            models.UniqueConstraint(fields=["program", "threshold"], name="unique_tier_threshold"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0), name="tier_threshold_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.threshold:,} points)"

    def clean(self):
        if self.threshold is not None and self.threshold < 0:
            raise ValidationError({"threshold": ["Enter 0 or more points."]})


class PromotionQuerySet(models.QuerySet):
    def current(self, now=None):
        """Promotions running now: started (or without a start) and not ended."""
        now = now or timezone.now()
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        )


class Promotion(models.Model):
    """An offer of a program to its members, for a period, optionally from a tier up."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="promotions")
    name = models.CharField(max_length=200, validators=[validate_text])
    description = models.TextField(blank=True, validators=[validate_text])
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    minimum_tier = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,  # gone with its program, never alone
        related_name="promotions",
        help_text="Only members of this tier or a higher one get it (empty: every member).",
    )

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["program", "starts_at", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="promotion_ends_after_start",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = ["The promotion must end after it starts."]
        if (
            self.minimum_tier_id
            and self.program_id
            and self.minimum_tier.program_id != (self.program_id)
        ):
            errors["minimum_tier"] = [f"Choose a tier of program “{self.program}”."]
        if errors:
            raise ValidationError(errors)

    def is_open_to(self, tier):
        """Whether a member of ``tier`` (None: below every tier) gets the promotion."""
        if self.minimum_tier_id is None:
            return True
        return tier is not None and tier.threshold >= self.minimum_tier.threshold


class Membership(models.Model):
    """A profile enrolled in a program, with its points balance."""

    # Read as the profile's own data, like its history: its page section, its API and the
    # personal-data export show it to whoever may see the profile (core.scoping).
    read_permission = "profiles.view_profile"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="memberships")
    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="loyalty_memberships"
    )
    balance = models.BigIntegerField(
        default=0, editable=False, help_text="The sum of its transactions; never below zero."
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program__name", "id"]
        verbose_name = "loyalty membership"
        constraints = [
            models.UniqueConstraint(fields=["program", "profile"], name="unique_loyalty_member"),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="loyalty_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.profile} in {self.program}"

    def clean(self):
        if (
            self.program_id
            and self.profile_id
            and self.program.database_id != self.profile.database_id
        ):
            raise ValidationError(
                {
                    "program": [
                        f"Program “{self.program}” belongs to database “{self.program.database}”, "
                        f"not to the profile's (“{self.profile.database}”)."
                    ]
                }
            )

    @property
    def tier(self):
        return self.program.tier_for(self.balance)

    def check_points(self, points, reason):
        """Return the balance after adding ``points``; raise ValidationError naming the
        field when the transaction is refused (zero points, a write-off without a reason or
        beyond the balance, a balance past the ceiling)."""
        errors = {}
        reason = (reason or "").strip()
        if isinstance(points, bool) or not isinstance(points, int):
            errors["points"] = ["Enter a whole number of points, e.g. 100 or -50."]
        elif points == 0:
            errors["points"] = ["Enter a number of points other than 0."]
        elif abs(points) > MAX_POINTS:
            errors["points"] = [f"Enter at most {MAX_POINTS:,} points either way."]
        elif self.balance + points < 0:
            errors["points"] = [
                f"The balance is {self.balance:,} points: a write-off of {-points:,} would "
                "take it below zero."
            ]
        elif self.balance + points > MAX_BALANCE:
            errors["points"] = [f"A balance holds at most {MAX_BALANCE:,} points."]
        if len(reason) > REASON_MAX_LENGTH:
            errors["reason"] = [f"Enter at most {REASON_MAX_LENGTH} characters."]
        elif not reason and isinstance(points, int) and points < 0:
            errors["reason"] = ["Give the reason for a write-off."]
        elif reason:
            try:
                validate_text(reason)
            except ValidationError as error:
                errors["reason"] = error.messages
        if errors:
            raise ValidationError(errors)
        return self.balance + points


class Transaction(models.Model):
    """Points added to (accrual) or taken from (write-off) a membership's balance."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="transactions"
    )
    points = models.BigIntegerField(help_text="Positive: an accrual; negative: a write-off.")
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    balance_after = models.BigIntegerField()
    source = models.CharField(max_length=20, default="ui", help_text="ui, api, admin or demo.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]  # newest first
        verbose_name = "points transaction"
        indexes = [models.Index(fields=["membership", "-id"], name="loyalty_tx_newest")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_points_not_zero"),
            models.CheckConstraint(
                condition=Q(points__gt=0) | ~Q(reason=""), name="loyalty_write_off_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="loyalty_balance_after_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.points:+,} points"

    @property
    def is_write_off(self):
        return self.points < 0
