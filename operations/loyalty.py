"""Loyalty programs at work: enrolling a profile, adding and writing off points.

Each change records its history event with it, in the same transaction: a
``loyalty_enrolled`` event for an enrolment, a ``loyalty_points`` event for a transaction
(with the balance and the tier after it). The spec's list of event types names no loyalty
event; these two are the product's own (``accepted=False``: integrations cannot post them).

The balance never goes below zero, also when several write-offs come at once: ``add_points``
locks the membership row (``SELECT … FOR UPDATE``) before it reads the balance, so the
check and the write of one transaction happen before the next one reads; the database's
check constraint (``loyalty_balance_not_negative``) holds whatever else writes.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.races import read_again
from history.services import record_event
from loyalty.models import Membership, Transaction

from .profiles import lock_profile


class AlreadyEnrolled(Exception):
    """The profile is a member of the program already."""


class NotEnrolled(Exception):
    """The profile is not a member of the program."""


def enrol(program, profile, *, source, user=None):
    """Enrol the profile in the program; return the membership (balance 0).

    A program of another database, or an inactive one, is refused (ValidationError naming
    ``program``); a profile already enrolled raises ``AlreadyEnrolled``. Nothing is written
    then.
    """
    if program.database_id != profile.database_id:
        raise ValidationError(
            {
                "program": [
                    f"Program “{program.name}” belongs to database “{program.database}”, not "
                    f"to the profile's (“{profile.database}”)."
                ]
            }
        )
    if not program.active:
        raise ValidationError(
            {"program": [f"Program “{program.name}” is not active: it takes no new members."]}
        )
    if Membership.objects.filter(program=program, profile=profile).exists():
        raise AlreadyEnrolled(f"The profile is already enrolled in “{program.name}”.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(program=program, profile=profile)
            record_event(profile, "loyalty_enrolled", {"program": program.name, "source": source})
    except IntegrityError:  # enrolled at the same moment by another request
        raise AlreadyEnrolled(f"The profile is already enrolled in “{program.name}”.") from None
    return membership


def membership_of(program, profile):
    """The profile's membership of the program, or ``NotEnrolled``."""
    membership = Membership.objects.filter(program=program, profile=profile).first()
    if membership is None:
        raise NotEnrolled(f"The profile is not enrolled in “{program.name}”; enrol it first.")
    return membership


def add_points(membership, points, reason="", *, source, user=None):
    """Add ``points`` (negative: a write-off, which needs a reason) to the membership's
    balance; return the transaction, the membership updated (balance, tier).

    Refused with a ValidationError naming ``points`` or ``reason`` (zero points, a write-off
    beyond the balance or without a reason): nothing is written then.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        lock_profile(membership.profile_id)
        locked = read_again(
            Membership.objects.select_for_update(of=("self",)).select_related("program", "profile"),
            pk=membership.pk,
        )
        balance = locked.check_points(points, reason)
        locked.balance = balance
        locked.save(update_fields=["balance", "updated_at"])
        entry = Transaction.objects.create(
            membership=locked,
            points=points,
            reason=reason,
            balance_after=balance,
            source=source,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        tier = locked.program.tier_for(balance)
        record_event(
            locked.profile,
            "loyalty_points",
            {
                "program": locked.program.name,
                "points": points,
                "reason": reason,
                "balance": balance,
                "tier": tier.name if tier else "",
                "source": source,
            },
        )
    membership.balance = balance
    membership.updated_at = locked.updated_at
    return entry
