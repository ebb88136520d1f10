"""JSON errors of the API: every failure is a 4xx naming the field, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response


class JSONParser(parsers.JSONParser):
    """Parse JSON; a document nested too deeply is a parse error (400), not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


def exception_handler(exc, context):
    """Answer a Django ValidationError as a 400 naming the fields; a protected delete as 409."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, ProtectedError | RestrictedError):
        set_rollback()
        return Response(
            {"detail": "It is still in use; remove what refers to it first."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
