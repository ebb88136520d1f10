"""Promo codes: pools of codes per profile database, handed out to profiles one at a time.

A pool (``PromoPool``) belongs to one profile database and holds codes loaded in bulk
(``PromoPool.load_codes``); a code is unique within its pool. A code is stored ``free``,
``attached`` (to one profile) or ``activated`` (used by that profile). Being attached to
two profiles is impossible by construction (one ``profile`` column), and attaching takes a
free code with a conditional update under a skip-locked row lock
(``operations.promos.attach``), so concurrent requests never hand the same code out twice.

**Expiry is computed, never stored**: a pool whose ``valid_until`` has passed makes each of
its codes that is not activated *expired* (``PromoCode.state``; ``PromoCodeQuerySet.in_state``
filters by it). Nothing has to run at the deadline, and moving ``valid_until`` later brings
the codes back. An expired code is neither attached nor activated.

Detaching a code makes it free again (a marketer correcting a mistake); an activated code
has been used and stays with its profile. When a profile is deleted its codes keep their
status without a profile: a code once handed out is never handed out again.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core.text import check_text, validate_text

CODE_MAX_LENGTH = 100
# At most this many codes in one load (a request, an admin form): larger sets go in batches.
MAX_CODES_PER_LOAD = 10_000
LOAD_BATCH = 1_000
CODE_RE = re.compile(r"^\S+$")


def check_code(value):
    """Return the code if it is one a pool may hold: text of 1 to 100 characters without
    whitespace (codes are compared exactly, case included); else raise ValidationError."""
    if not isinstance(value, str):
        raise ValidationError("Enter the code as text.")
    check_text(value)
    if not value:
        raise ValidationError("Enter a code: it must not be empty.")
    if len(value) > CODE_MAX_LENGTH:
        raise ValidationError(
            f"A code has at most {CODE_MAX_LENGTH} characters (this one has {len(value)})."
        )
    if not CODE_RE.match(value):
        raise ValidationError("A code must not contain spaces or other whitespace.")
    return value


def validate_code(value):
    check_code(value)


class PromoPoolQuerySet(models.QuerySet):
    def with_counts(self):
        """Annotate each pool with how many of its codes are free, attached and activated
        (``free_total``, ``attached_total``, ``activated_total``; expired ones count under
        their stored status)."""
        status = PromoCode.Status
        return self.annotate(
            free_total=Count("codes", filter=Q(codes__status=status.FREE)),
            attached_total=Count("codes", filter=Q(codes__status=status.ATTACHED)),
            activated_total=Count("codes", filter=Q(codes__status=status.ACTIVATED)),
        )

    def open(self, now=None):
        """Pools not expired (without a ``valid_until``, or one still ahead)."""
        now = now or timezone.now()
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))


class PromoPool(models.Model):
    """A set of promo codes of one profile database (a campaign, a "program")."""

    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="promo_pools"
    )
    valid_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="After this moment the codes not activated are expired: they can no longer "
        "be attached or activated. Empty: they never expire.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromoPoolQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "promo code pool"
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_promo_pool_name")
        ]

    def __str__(self):
        return self.name

    def is_expired(self, now=None):
        return self.valid_until is not None and self.valid_until <= (now or timezone.now())

    def handed_out(self):
        """The pool's codes attached or activated (history names them: they are kept)."""
        return self.codes.exclude(status=PromoCode.Status.FREE)

    def load_codes(self, codes):
        """Add ``codes`` (a list of texts) to the pool; return (added, duplicates).

        A code already in the pool, or given twice, counts as a duplicate (each repetition
        once) and is not added again. Every code is checked first (``check_code``): one bad
        code adds nothing, and the ValidationError names its index in the list. The pool row
        is locked while it loads, so two loads at once count their duplicates exactly.
        """
        if not isinstance(codes, list | tuple):
            raise ValidationError({"codes": ["Enter a list of codes."]})
        if not codes:
            raise ValidationError({"codes": ["Enter at least one code."]})
        if len(codes) > MAX_CODES_PER_LOAD:
            raise ValidationError(
                {
                    "codes": [
                        f"Load at most {MAX_CODES_PER_LOAD:,} codes at a time "
                        f"(this list has {len(codes):,}); send the rest in another request."
                    ]
                }
            )
        errors = {}
        for index, code in enumerate(codes):
            try:
                check_code(code)
            except ValidationError as error:
                errors[f"codes.{index}"] = error.messages
        if errors:
            raise ValidationError(errors)
        unique = list(dict.fromkeys(codes))
        with transaction.atomic():
            PromoPool.objects.select_for_update().filter(pk=self.pk).first()
            existing = set()
            for start in range(0, len(unique), LOAD_BATCH):
                chunk = unique[start : start + LOAD_BATCH]
                existing.update(self.codes.filter(code__in=chunk).values_list("code", flat=True))
            new = [code for code in unique if code not in existing]
            PromoCode.objects.bulk_create(
                [PromoCode(pool=self, code=code) for code in new],
                batch_size=LOAD_BATCH,
                ignore_conflicts=True,
            )
        return len(new), len(codes) - len(new)


class PromoCodeQuerySet(models.QuerySet):
    def in_state(self, state, now=None):
        """The codes whose state (expiry computed) is ``state``."""
        now = now or timezone.now()
        status = PromoCode.Status
        not_expired = Q(pool__valid_until__isnull=True) | Q(pool__valid_until__gt=now)
        if state == status.EXPIRED:
            return self.filter(pool__valid_until__lte=now).exclude(status=status.ACTIVATED)
        if state == status.ACTIVATED:
            return self.filter(status=state)
        return self.filter(not_expired, status=state)


class PromoCode(models.Model):
    """One code of a pool: free, attached to a profile, or activated by it."""

    class Status(models.TextChoices):
        FREE = "free", "Free"
        ATTACHED = "attached", "Attached"
        ACTIVATED = "activated", "Activated"
        # Never stored: computed from the pool's valid_until (see the module's docstring).
        EXPIRED = "expired", "Expired"

    pool = models.ForeignKey(PromoPool, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=CODE_MAX_LENGTH, validators=[validate_code])
    status = models.CharField(
        max_length=10,
        choices=Status.choices[:3],  # expired is never stored
        default=Status.FREE,
    )
    profile = models.ForeignKey(
        "profiles.Profile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promo_codes",
        help_text="The profile it is attached to (empty while free, or once that profile "
        "was deleted: the code is not handed out again).",
    )
    attached_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PromoCodeQuerySet.as_manager()

    class Meta:
        ordering = ["pool", "code"]
        permissions = [
            (
                "attach_promocode",
                "Can attach, detach and activate a profile's promo codes by hand",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["pool", "code"], name="unique_promo_code_in_pool"),
            models.CheckConstraint(
                condition=Q(status__in=["free", "attached", "activated"]),
                name="promo_code_stored_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="free") | Q(profile__isnull=True, activated_at__isnull=True),
                name="free_promo_code_has_no_profile",
            ),
        ]
        indexes = [
            # The pick of a free code of a pool.
            models.Index(fields=["pool", "id"], condition=Q(status="free"), name="promo_code_free"),
            models.Index(fields=["profile", "-attached_at"], name="promo_code_profile"),
        ]

    def __str__(self):
        return self.code

    @property
    def state(self):
        """The status shown: the stored one, or ``expired`` (see ``is_expired``)."""
        return self.Status.EXPIRED if self.is_expired() else self.Status(self.status)

    def is_expired(self, now=None):
        return self.status != self.Status.ACTIVATED and self.pool.is_expired(now)

    def get_state_display(self):
        return self.Status(self.state).label

    @property
    def program(self):
        """What history events name the code's pool by."""
        return self.pool.name
