"""Pieces the API's viewsets share: scoping to visible databases, flags, a 409."""

from rest_framework import exceptions, serializers, status

from core import scoping
from core.text import parse_bool


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
