"""Promo codes at work: attaching a free code of a pool to a profile, detaching, activating.

Each change records its history event in the same transaction (``promo_attached``,
``promo_detached``, ``promo_activated`` with ``{code, program, source}``, ``program`` being
the pool's name): these types are the product's own (``accepted=False``), so the Data
section's codes and the History always agree.

A code is never attached to two profiles, also under concurrent requests: ``attach`` picks
a free code with ``SELECT … FOR UPDATE SKIP LOCKED`` (a code another request is taking is
skipped, not waited for) and takes it with an update conditional on it still being free; a
request that loses a race tries the next free code. Activation and detachment lock the code
row before they check its status.

Refusals: a pool of another database, or an expired one, is a ValidationError naming
``pool``; a pool without a free code raises ``NoFreeCode``; activating an expired or
already activated code, or detaching an activated one, raises ``CodeConflict``. Nothing is
written then.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.races import read_again
from history.services import record_event
from promos.models import PromoCode, PromoPool

from .profiles import lock_profile

# A request that keeps losing the race for a free code gives up after this many tries.
ATTACH_TRIES = 20


class NoFreeCode(Exception):
    """The pool has no free code left."""


class CodeConflict(Exception):
    """The code's status does not allow the change (expired, activated already…)."""


def _event(code, profile, type, source):
    return record_event(
        profile, type, {"code": code.code, "program": code.pool.name, "source": source}
    )


def attach(pool, profile, *, source):
    """Attach a free code of ``pool`` to ``profile``; return the code (status attached)."""
    if pool.database_id != profile.database_id:
        raise ValidationError(
            {
                "pool": [
                    f"Pool “{pool.name}” belongs to database “{pool.database}”, not to the "
                    f"profile's (“{profile.database}”)."
                ]
            }
        )
    if pool.is_expired():
        raise ValidationError(
            {"pool": [f"Pool “{pool.name}” expired on {pool.valid_until:%Y-%m-%d %H:%M} UTC."]}
        )
    for _ in range(ATTACH_TRIES):
        with transaction.atomic():
            candidate = (
                PromoCode.objects.select_for_update(skip_locked=True)
                .filter(pool=pool, status=PromoCode.Status.FREE)
                .order_by("pk")
                .first()
            )
            if candidate is None:
                raise NoFreeCode(f"Pool “{pool.name}” has no free code left.")
            now = timezone.now()
            taken = PromoCode.objects.filter(
                pk=candidate.pk, status=PromoCode.Status.FREE, profile__isnull=True
            ).update(status=PromoCode.Status.ATTACHED, profile=profile, attached_at=now)
            if taken:
                code = PromoCode.objects.select_related("pool").get(pk=candidate.pk)
                _event(code, profile, "promo_attached", source)
                return code
    raise NoFreeCode(f"Pool “{pool.name}” has no free code left (others are taking them now).")


def _locked(code):
    if code.profile_id is not None:  # as it was read: the profile's, then the code's row
        lock_profile(code.profile_id)
    return read_again(PromoCode.objects.select_for_update().select_related("pool"), pk=code.pk)


def activate(code, *, source):
    """Mark the profile's attached code as used; return it (status activated)."""
    with transaction.atomic():
        code = _locked(code)
        if code.status == PromoCode.Status.ACTIVATED:
            raise CodeConflict(
                f"Code {code.code} was activated already, on {code.activated_at:%Y-%m-%d %H:%M}."
            )
        if code.status != PromoCode.Status.ATTACHED or code.profile_id is None:
            raise CodeConflict(f"Code {code.code} is not attached to a profile.")
        if code.is_expired():
            raise CodeConflict(
                f"Code {code.code} has expired (pool “{code.pool.name}” ran until "
                f"{code.pool.valid_until:%Y-%m-%d %H:%M} UTC): it cannot be activated."
            )
        code.status = PromoCode.Status.ACTIVATED
        code.activated_at = timezone.now()
        code.save(update_fields=["status", "activated_at"])
        _event(code, code.profile, "promo_activated", source)
    return code


def detach(code, *, source):
    """Take the code off its profile: it is free again in its pool. An activated code has
    been used: it stays with the profile (``CodeConflict``)."""
    with transaction.atomic():
        code = _locked(code)
        if code.status == PromoCode.Status.ACTIVATED:
            raise CodeConflict(
                f"Code {code.code} was activated: it has been used and stays with the profile."
            )
        if code.status != PromoCode.Status.ATTACHED or code.profile_id is None:
            raise CodeConflict(f"Code {code.code} is not attached to a profile.")
        profile = code.profile
        code.status = PromoCode.Status.FREE
        code.profile = None
        code.attached_at = None
        code.save(update_fields=["status", "profile", "attached_at"])
        _event(code, profile, "promo_detached", source)
    return code


def free_pools(database):
    """The database's pools open for attaching, with their free codes counted
    (``free_total``), those with a free code only."""
    return (
        PromoPool.objects.filter(database=database)
        .open()
        .with_counts()
        .filter(free_total__gt=0)
        .order_by("name", "id")
    )
