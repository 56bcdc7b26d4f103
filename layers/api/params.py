"""Query parameters of the feature list: bbox, paging and ``{field}={value}`` filters.

Every name is checked against the layer's exposed fields; anything else is a 400 naming the
parameter, so request text never becomes an identifier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import JSONField, Q
from django.http import QueryDict

from ..errors import BadParameter
from ..registry import Layer

RESERVED = ("bbox", "limit", "offset", "format")


@dataclass(frozen=True)
class ListQuery:
    bbox: Polygon | None
    limit: int
    offset: int
    filters: Q


def parse_bbox(raw: str) -> Polygon:
    """``minx,miny,maxx,maxy`` in EPSG:4490 degrees → polygon; 400 naming ``bbox`` otherwise."""
    parts = raw.split(",")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise BadParameter(
            f"bbox must be four numbers minx,miny,maxx,maxy (got {raw!r})", field="bbox", rule="bbox_format"
        ) from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise BadParameter(
            f"bbox {raw} must have minx < maxx within -180…180 and miny < maxy within -90…90 (EPSG:4490)",
            field="bbox", rule="bbox_range",
        )
    return Polygon.from_bbox((minx, miny, maxx, maxy))


def integer(raw: object, name: str, default: int | None, maximum: int) -> int | None:
    """A non-negative integer parameter written in ASCII digits (``²`` or ``٣`` are refused, not
    crashed on), at most ``maximum``; ``default`` when absent or empty. 400 naming ``name`` otherwise."""
    if raw is None or raw == "":
        return default
    digits = str(raw)
    if not (digits.isascii() and digits.isdigit()) or int(digits) > maximum:
        raise BadParameter(f"{name} must be an integer 0…{maximum} (got {raw!r})", field=name, rule="range")
    return int(digits)


def number(raw: object, name: str, default: float) -> float:
    """A finite number ≥ 0 (JSON number or text); ``default`` when absent or empty; 400 naming ``name``."""
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = -1.0
    if not (math.isfinite(value) and value >= 0) or isinstance(raw, bool):
        raise BadParameter(f"{name} must be a number ≥ 0 (got {raw!r})", field=name, rule="range")
    return value


def _count(raw: str | None, name: str, default: int, maximum: int) -> int:
    value = integer(raw, name, default, maximum)
    return default if value is None else value


def text(raw: str, name: str) -> str:
    """A text parameter PostgreSQL can compare: a NUL character is refused (400 naming ``name``)."""
    if "\x00" in raw:
        raise BadParameter(f"{name} must not contain a NUL character (%00)", field=name, rule="no_nul")
    return raw


def body_object(data: object, what: str = "the request body") -> dict:
    """A JSON request body that must be an object (``{…}``); a list, number or string is a 400."""
    if not isinstance(data, dict):
        raise BadParameter(f"{what} must be a JSON object {{\"name\": value, …}}, got {type(data).__name__}",
                           field="body", rule="json_object")
    return data


def typed_values(layer: Layer, name: str, values: list[str]) -> list[object]:
    """The values of a ``{field}={value}`` filter typed by the layer's field (400 naming it when one
    cannot be, or when the field is JSON); shared by the feature list and the tiles."""
    model_field = layer.model._meta.get_field(name)
    if isinstance(model_field, JSONField):
        raise BadParameter(f"{name} cannot be filtered on", field=name, rule="filterable")
    typed = []
    for value in values:
        text(value, name)
        try:
            typed.append(model_field.to_python(value))
        except ValidationError as exc:
            raise BadParameter(f"{name}={value!r}: {' '.join(exc.messages)}", field=name, rule="value_type") from None
    return typed


def parse(layer: Layer, params: QueryDict) -> ListQuery:
    q = Q()
    for name, values in params.lists():
        if name in RESERVED:
            continue
        if name not in layer.fields:
            raise BadParameter(
                f"unknown filter field {name!r} for layer {layer.name}; filterable: {', '.join(layer.fields)}",
                field=name, rule="known_field",
            )
        q &= Q(**{f"{layer.model._meta.get_field(name).attname}__in": typed_values(layer, name, values)})
    bbox = params.get("bbox")
    return ListQuery(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        limit=_count(params.get("limit"), "limit", settings.GRIDCITY_DEFAULT_PAGE, settings.GRIDCITY_MAX_PAGE),
        offset=_count(params.get("offset"), "offset", 0, 10**9),
        filters=q,
    )
