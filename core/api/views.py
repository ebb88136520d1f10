"""Pieces the API's viewsets share: scoping to visible databases, flags, a 409."""

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import exceptions, serializers, status

from core import scoping
from core.locks import take_slot
from core.races import LostRace
from core.text import parse_bool

# Seconds a client is asked to wait when the large batches running fill every slot.
BATCH_RETRY_SECONDS = 5
# A batch of at most this many items is quick: it needs no slot.
SMALL_BATCH = 100


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class InVisibleDatabasesMixin:
    """Scope a viewset's queryset to the profile databases the user may see.

    ``database_path`` is the lookup from the viewset's rows to their database.
    """

    database_path = "database"

    def get_queryset(self):
        return scoping.visible(super().get_queryset(), self.request.user, self.database_path)


def query_flag(request, name, default):
    """Return a true/false query parameter; anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = parse_bool(raw)
    if value is None:
        raise serializers.ValidationError({name: ["Enter true or false."]})
    return value


def hold_batch_slot(items):
    """Hold one of the ``BATCH_CONCURRENCY`` slots for a large batch of ``items`` (an import,
    a list of events) for this request, or answer 429: a server running more at once would
    have its workers killed mid-batch rather than finish any."""
    if not isinstance(items, list) or len(items) <= SMALL_BATCH:
        return
    if not take_slot("api-batch", settings.BATCH_CONCURRENCY):
        raise exceptions.Throttled(
            wait=BATCH_RETRY_SECONDS,
            detail=f"{settings.BATCH_CONCURRENCY} large batches are running; send this one again.",
        )


class UniqueRaceMixin:
    """Two requests writing the same unique key at once (a name, a SKU, an order number):
    both pass the serializer's check, the loser's INSERT or UPDATE fails on the unique
    constraint, and its IntegrityError is a 400 naming ``unique_field``, like the check
    (with the message of ``unique_error``).

    ``lost_race_constraints`` names the unique constraints a loser did not break by what it
    sent (two replacements of a pixel's goals at once, each valid alone): its request is
    a lost race instead, answered 503 to send again (``core.races``).
    """

    unique_field = None
    lost_race_constraints = ()

    def unique_error(self, serializer):
        """Return the message of the 400 the loser of a race gets."""
        return "It is already taken in this database."

    def perform_create(self, serializer):
        self._saving(serializer)

    def perform_update(self, serializer):
        self._saving(serializer)

    def _saving(self, serializer):
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as error:
            diagnostic = getattr(error.__cause__, "diag", None)
            if getattr(diagnostic, "constraint_name", None) in self.lost_race_constraints:
                raise LostRace(f"{diagnostic.constraint_name}: written meanwhile.") from error
            raise serializers.ValidationError(
                {self.unique_field: [self.unique_error(serializer)]}
            ) from None
