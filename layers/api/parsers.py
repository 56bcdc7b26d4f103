"""The API's JSON parser: DRF's, with the limits a fuzzer found missing.

A body nested deeper than ``MAX_DEPTH`` (GeoJSON needs five levels) or deep enough to exhaust
Python's recursion, and text holding a NUL character (PostgreSQL cannot store it), are a 400
naming the body instead of a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def check_json(data: object) -> None:
    """Refuse ``data`` nested deeper than MAX_DEPTH or holding a NUL in any key or string (ParseError)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError("JSON text must not contain a NUL character (\\u0000)")
        elif isinstance(value, Mapping | list):
            if depth > MAX_DEPTH:
                raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
            items = [*value.keys(), *value.values()] if isinstance(value, Mapping) else value
            stack.extend((item, depth + 1) for item in items)


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
        check_json(data)
        return data
