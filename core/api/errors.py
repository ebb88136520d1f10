"""JSON errors of the API: every failure is a 4xx naming the field, never a 500.

Domain code raises Django's ``ValidationError`` keyed by model field names, a custom
field's value under ``custom_values.<name>``; ``api_detail`` turns it into the API's names
in this one place (``{"fields": {"plan": ["Enter one of: bronze, gold."]}}``).
"""

import io
import itertools
import math

import orjson
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import ProtectedError, RestrictedError
from django.http import QueryDict
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response

from core.jsonvalues import MAX_DEPTH, depth
from core.text import INT64_MAX, INT64_MIN, check_text
from core.transactions import SAFE_METHODS

MAX_REPORTED = 50
# Model field names the API calls otherwise.
API_NAMES = {"custom_values": "fields"}


def unstorable(value, path=()):
    """Yield (path, message) for each value in parsed request data that no column holds.

    Text with a NUL (PostgreSQL refuses it in text and JSON columns) or a lone surrogate
    (not encodable as UTF-8), in values and in keys; integers beyond 64 bits; numbers that
    overflowed to infinity (1e400). Checked once for every body, whatever the field.
    """
    if isinstance(value, str):
        try:
            check_text(value)
        except DjangoValidationError as error:
            yield path, error.messages[0]
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        yield path, "Enter a whole number between -2^63 and 2^63-1."
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, "Enter a finite number."
    elif isinstance(value, QueryDict):
        for key, values in value.lists():
            for item in values:
                yield from unstorable(item, (*path, key))
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problems = list(unstorable(key)) if isinstance(key, str) else []
            if key_problems:  # named with the bad characters escaped, so the answer encodes
                shown = key.encode("utf-8", "backslashreplace").decode().replace("\x00", r"\x00")
                yield (*path, shown), f"Key: {key_problems[0][1]}"
            else:
                yield from unstorable(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable(item, (*path, str(index)))


def nested_errors(problems):
    """Return {field: {nested field: [message]}} for (path, message) pairs."""
    detail = {}
    for path, message in problems:
        node = detail
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1] if path else "non_field_errors", []).append(message)
    return detail


def _batch_items(data, path):
    """Return the list at ``path`` in ``data`` (keys of objects), or None if there is none."""
    if path is None:
        return None
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data if isinstance(data, list) else None


def refuse_unstorable(data, parser_context):
    """Raise a 400 naming each value of ``data`` no column can store, unless all are inside
    the items of a batch the view answers item by item.

    A view's ``batch_items`` is the path (keys) to that list in the body: ``("profiles",)``
    for ``profiles/import/``, ``()`` for a list of events. A problem inside an item is that
    item's error, ``{index: errors by field}`` for ``refused_items``: the other items are
    processed. A problem outside them refuses the request, as for any other view.
    """
    context = parser_context or {}
    prefix = getattr(context.get("view"), "batch_items", None)
    request = context.get("request")
    if request is None or _batch_items(data, prefix) is None:
        problems = list(itertools.islice(unstorable(data), MAX_REPORTED))
        if problems:
            raise exceptions.ValidationError(nested_errors(problems))
        return
    prefix = tuple(prefix)
    problems, by_item, outside = [], {}, False
    for path, message in unstorable(data):  # only the first MAX_REPORTED of each are kept
        if len(problems) < MAX_REPORTED:
            problems.append((path, message))
        if len(path) > len(prefix) and path[: len(prefix)] == prefix:
            found = by_item.setdefault(int(path[len(prefix)]), [])
            if len(found) < MAX_REPORTED:
                found.append((path[len(prefix) + 1 :], message))
        else:
            outside = True
    if outside:
        raise exceptions.ValidationError(nested_errors(problems))
    request.refused_batch_items = {index: nested_errors(found) for index, found in by_item.items()}


def refused_items(request):
    """Return {index: errors by field} of the batch items whose values no column can store
    (see ``refuse_unstorable``): each is answered as that item's error, never processed."""
    request.data  # noqa: B018 - parsed now, if not yet
    return getattr(request, "refused_batch_items", {})


class StorableDataMixin:
    """Refuse a body holding text or numbers no column can store: a 400 naming each field
    (inside the items of a batch, those items' errors: ``refuse_unstorable``); and one
    nested deeper than any request needs (``core.jsonvalues.MAX_DEPTH``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data if isinstance(parsed, parsers.DataAndFiles) else parsed
        levels = depth(data)
        if levels > MAX_DEPTH:
            raise exceptions.ParseError(
                f"The body nests {levels} levels deep; a request nests at most {MAX_DEPTH}."
            )
        refuse_unstorable(data, parser_context)
        return parsed


class StandardJSONParser(StorableDataMixin, parsers.JSONParser):
    """Parse JSON with the standard library, then check every value; a document nested too
    deeply is a parse error (400), not a crash. The reference ``JSONParser`` answers as."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


# The body as the fast path screens it: digits become 0, the characters a number may
# follow in JSON (``[``, ``,``, ``:``) become ``:``, white space is dropped, the rest is x.
def _screened(byte):
    if ord("0") <= byte <= ord("9"):
        return ord("0")
    if byte in b"[,:":
        return ord(":")
    return byte if byte == ord("-") else ord("x")


NUMBER_SCREEN = bytes(_screened(byte) for byte in range(256))
LONG_NUMBER = b"0" * 19  # may not fit 64 bits: orjson reads it as a float, json as an int


def needs_checks(body):
    """Whether the body holds what the standard parser's checks are about: an escaped NUL,
    or a number of 19 digits or more (never a false "no"; rarely a false "yes")."""
    if b"\\u0000" in body:
        return True
    screened = b":" + body.translate(NUMBER_SCREEN, b" \t\r\n")
    return b":" + LONG_NUMBER in screened or b":-" + LONG_NUMBER in screened


class JSONParser(StandardJSONParser):
    """The API's JSON parser, with orjson: a batch of 1,000 events or import rows parses in
    under a millisecond instead of about 15 (json, then a walk of every value).

    The same body gives the same answer as ``StandardJSONParser``: whatever orjson refuses
    (bad JSON, lone surrogates, 1e400, nesting beyond 1,024) or that the checks are about
    (an escaped NUL, a long number, nesting beyond ``MAX_DEPTH``), and any charset but
    UTF-8, goes through the standard parser and its messages. orjson refuses raw control
    characters and invalid UTF-8 in the text itself.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        if encoding.lower().replace("-", "") == "utf8" and not needs_checks(body):
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
            else:
                if depth(data, limit=MAX_DEPTH) <= MAX_DEPTH:
                    return data
        return super().parse(io.BytesIO(body), media_type, parser_context)


class FormParser(StorableDataMixin, parsers.FormParser):
    pass


class MultiPartParser(StorableDataMixin, parsers.MultiPartParser):
    pass


def api_detail(error):
    """Return a Django ValidationError as the API's error detail, keyed by the API's names."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": list(error.messages)}
    detail = {}
    for key, messages in error.message_dict.items():
        name, dot, inner = key.partition(".")
        name = API_NAMES.get(name, "non_field_errors" if name == NON_FIELD_ERRORS else name)
        # ``custom_values`` and ``custom_values.<name>`` (even an empty name) may both come:
        # the errors of the whole go beside the inner ones, under non_field_errors.
        known = detail.get(name)
        if dot:
            if not isinstance(known, dict):
                known = detail[name] = {"non_field_errors": known} if known else {}
            known[inner] = list(messages)
        elif isinstance(known, dict):
            known["non_field_errors"] = list(messages)
        else:
            detail[name] = list(messages)
    return detail


def exception_handler(exc, context):
    """Answer a Django ValidationError as a 400 naming the fields; a protected delete as 409."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(api_detail(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        set_rollback()
        return Response(
            {"detail": "It is still in use; remove what refers to it first."},
            status=status.HTTP_409_CONFLICT,
        )
    request = context.get("request")
    if request is None or request.method not in SAFE_METHODS:
        return drf_exception_handler(exc, context)
    # A read runs outside a transaction of its own (core/transactions.py): DRF would mark
    # for rollback whatever transaction encloses the request (a test's), not the request's.
    enclosing = [
        (db, db.get_rollback())
        for db in connections.all(initialized_only=True)
        if db.in_atomic_block
    ]
    response = drf_exception_handler(exc, context)
    for db, rollback in enclosing:
        db.set_rollback(rollback)
    return response
