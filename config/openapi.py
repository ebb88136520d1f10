"""drf-spectacular hooks: document the error answers every operation can give, and the limits."""

from django.conf import settings

from core import fieldtypes, jsonvalues, text
from history import reports, types
from operations.imports import MAX_IMPORT_ROWS

ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name → list of messages; `detail` for errors not tied to a field.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: the body names each offending field.",
    "401": "Authentication required.",
    "403": "Permission denied.",
    "404": "Not found (or in a profile database you may not see).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict.",
    "413": "The request body is larger than the limit (see the API's limits).",
    "415": "Unsupported media type.",
    "429": "Too many requests (throttled).",
}


def add_error_responses(result, generator, request, public):
    """Add the error answers (JSON) to every operation of the schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result


def add_limits(result, generator, request, public):
    """Add the limits every request is held to to the API's description (from the code)."""
    megabytes = settings.MAX_REQUEST_BYTES // (1024 * 1024)
    limits = (
        "**Limits** (a request past one is refused, the limit named): a request body takes "
        f"at most {megabytes} MB (413) and nests at most {jsonvalues.MAX_DEPTH} levels; an "
        f"import at most {MAX_IMPORT_ROWS:,} rows and a batch of events at most "
        f"{reports.MAX_BATCH:,}; an event's `data` at most {types.DATA_MAX_BYTES // 1024} KB "
        f"as JSON and {types.DATA_MAX_DEPTH} levels; a Line value "
        f"{fieldtypes.LINE_MAX_LENGTH:,} characters; a Tags value {fieldtypes.TAGS_MAX_COUNT:,} "
        f"tags of {fieldtypes.TAG_MAX_LENGTH} characters; an Enum field "
        f"{fieldtypes.OPTIONS_MAX_COUNT} options of {fieldtypes.OPTION_MAX_LENGTH} characters; "
        f"a profile {text.PHONES_MAX} phones."
    )
    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{limits}".strip()
    return result
