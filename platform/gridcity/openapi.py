"""The OpenAPI schema's error answers, documented in one place (a drf-spectacular postprocessing hook).

Every operation can answer with the one error body of ``gridcity.http_errors``; this adds it as
the ``Error`` component and documents it on each operation's 4xx and 503 answers, so clients and
fuzzers can rely on the schema for failures as for successes.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "What was wrong and where: `detail` is the first error's message.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "field": {"type": ["string", "null"], "description": "parameter, body field or file column"},
                "rule": {"type": "string", "description": "the rule broken, e.g. range, jurisdiction"},
                "message": {"type": "string"},
            },
            "required": ["field", "rule", "message"],
        }},
    },
    "required": ["detail", "errors"],
}

# Answers any operation may give.
ALWAYS = {
    "400": "a parameter or body that cannot be used (named in the error)",
    "401": "not logged in: log in or send 'Authorization: Token <key>'",
    "403": "the role or the jurisdiction does not allow it",
    "404": "no such layer, feature or record visible to you",
    "413": "the request body is larger than the limit",
    "503": "the database is unavailable; try again in a moment",
}
# And those that write.
WRITES = {
    "405": "the layer is not editable through this API",
    "409": "refused by the current state (in use, already done, another import running)",
    "415": "the body is not in a media type the operation takes",
}
METHODS = ("get", "post", "put", "patch", "delete")


def document_errors(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: the Error component on every operation's failures."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            answers = {**ALWAYS, **(WRITES if method != "get" else {})}
            responses = operation.setdefault("responses", {})
            for status, description in answers.items():
                responses.setdefault(status, {"description": description, "content": ref})
    return result
