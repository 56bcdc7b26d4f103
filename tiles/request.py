"""A tile request checked against the registry: path → layers and z/x/y, query → filters, user → scope.

Nothing from the request text reaches SQL except as a bound value: layer names must be
registered, filter names must be fields of those layers, z/x/y must be integers in range.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace

from django.http import QueryDict
from psycopg import sql

from layers.access import Actor, check_read, jurisdiction_of, scope_condition
from layers.api.params import typed_values
from layers.errors import BadParameter
from layers.registry import Layer, registry

from .errors import BadTilePath, TileOutOfRange
from .sql import LayerQuery

MAX_ZOOM = 22
# Bump when what a tile holds changes (tiles/sql.py, the jurisdiction rule of layers.access), so cached
# tiles of the old form are never served.
TILE_FORMAT = 3
_PATH = re.compile(r"^(?P<layers>[a-z0-9_,]+)/(?P<z>-?\d+)/(?P<x>-?\d+)/(?P<y>-?\d+)\.mvt$")


@dataclass(frozen=True)
class TileRequest:
    layers: tuple[Layer, ...]
    z: int
    x: int
    y: int
    filters: tuple[tuple[str, tuple[object, ...]], ...]
    jurisdiction: str

    @property
    def cache_key(self) -> str:
        """What the tile is, apart from whose: the cache is keyed by this and the jurisdiction."""
        # The layers' tile-shaping settings are part of the key, so a changed registry never serves old tiles.
        shape = [(la.name, la.fields, la.zoom, la.cluster_below, la.tile_cap) for la in self.layers]
        raw = json.dumps([TILE_FORMAT, shape, self.z, self.x, self.y,
                          [[k, [str(v) for v in vs]] for k, vs in self.filters]])
        return hashlib.sha1(raw.encode()).hexdigest()

    def layer_queries(self) -> list[LayerQuery]:
        """Per layer within its zoom range: the filters that apply to it and the jurisdiction scope (the
        one rule of ``layers.access``), as bound SQL."""
        out = []
        for layer in self.layers:
            if not layer.zoom[0] <= self.z <= layer.zoom[1]:
                continue
            conditions: list[sql.Composable] = []
            params: list[object] = []
            for name, values in self.filters:
                if name in layer.fields:
                    conditions.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(layer.column(name))))
                    params.append(list(values))
            scope, scope_params = scope_condition(layer, self.jurisdiction)
            conditions.append(scope)
            params.extend(scope_params)
            out.append(LayerQuery(layer, conditions, params))
        return out


def parse_layers(names: str, actor: Actor | None = None) -> tuple[Layer, ...]:
    """Registered, distinct layer names in request order (unknown → 404), readable by ``actor`` if given (→ 403)."""
    layers: list[Layer] = []
    for name in names.split(","):
        layer = registry.get(name)
        if actor is not None:
            check_read(layer, actor)
        if layer not in layers:
            layers.append(layer)
    return tuple(layers)


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise TileOutOfRange(f"zoom {z} is outside 0–{MAX_ZOOM}", field="z")
    limit = (1 << z) - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= limit:
            raise TileOutOfRange(f"{name}={value} is outside 0…{limit} at zoom {z}", field=name)


def parse_filters(layers: tuple[Layer, ...], params: QueryDict) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """``{field}={value}`` pairs valid for at least one requested layer, values typed by the field."""
    known = {name: la for la in reversed(layers) for name in la.fields}
    out = []
    for name, values in sorted(params.lists()):
        layer = known.get(name)
        if layer is None:
            raise BadParameter(
                f"unknown filter field {name!r}; fields of {', '.join(la.name for la in layers)}: "
                f"{', '.join(sorted(known))}", field=name, rule="known_field",
            )
        out.append((name, tuple(sorted(set(typed_values(layer, name, values)), key=str))))
    return tuple(out)


def parse_spec(path: str, params: QueryDict) -> TileRequest:
    """The tile asked for, checked against the registry but not yet against a user (jurisdiction empty:
    nothing, until :func:`for_actor` gives it the user's)."""
    match = _PATH.match(path)
    if match is None:
        raise BadTilePath(f"tile path {path!r} is not {{layers}}/{{z}}/{{x}}/{{y}}.mvt", field="path")
    for name in ("z", "x", "y"):
        # int() refuses strings over 4300 digits (a 500); anything over 9 digits is out of range anyway.
        if len(match.group(name).lstrip("-")) > 9:
            limit = MAX_ZOOM if name == "z" else (1 << MAX_ZOOM) - 1
            raise TileOutOfRange(f"{name}={match.group(name)[:12]}… is outside 0…{limit}", field=name)
    z, x, y = (int(match.group(k)) for k in ("z", "x", "y"))
    check_tile(z, x, y)
    layers = parse_layers(match.group("layers"))
    return TileRequest(layers, z, x, y, parse_filters(layers, params), "")


def for_actor(spec: TileRequest, actor: Actor) -> TileRequest:
    """``spec`` as ``actor`` may see it: every layer readable by their role (→ 403), scoped to their jurisdiction."""
    for layer in spec.layers:
        check_read(layer, actor)
    return replace(spec, jurisdiction=jurisdiction_of(actor))


def parse(path: str, params: QueryDict, actor: Actor) -> TileRequest:
    return for_actor(parse_spec(path, params), actor)
