"""drf-spectacular hooks: document the error answers every operation can give."""

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
