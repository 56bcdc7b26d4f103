"""Offline packages: MBTiles 1.3 files of vector tiles over an area, for mobile clients.

A package covers the tiles of a street's or community's polygon at the chosen zooms, with the
requested layers as one composite, built by the same SQL as the online tiles and stored
gzip-compressed (as MBTiles asks for ``pbf``). Its metadata records the layers' data versions
(``gridcity_data_version``), so a client can ask the server whether its package is stale.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

from layers.access import Actor, code_prefix, jurisdiction_geom, jurisdiction_of
from layers.errors import BadParameter, OutsideJurisdiction
from layers.registry import Layer

from .cache import build
from .request import MAX_ZOOM, TileRequest, parse_layers
from .sql import vector_layer

SCHEMA = """
CREATE TABLE metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
"""


@dataclass(frozen=True)
class Package:
    path: Path
    tiles: int
    data_version: str


def parse_zooms(raw: str) -> tuple[int, int]:
    """``12-18`` or ``15`` → (min, max) within 0–22."""
    try:
        lo, _, hi = raw.partition("-")
        zooms = (int(lo), int(hi or lo))
    except ValueError:
        raise BadParameter(f"zooms must look like 12-18, got {raw!r}", field="zooms", rule="zoom_range") from None
    if not 0 <= zooms[0] <= zooms[1] <= MAX_ZOOM:
        raise BadParameter(f"zooms {raw} must lie within 0–{MAX_ZOOM}, low to high", field="zooms", rule="zoom_range")
    return zooms


def data_version(layer_names: list[str]) -> str:
    """The layers' change counters with the time of their last change, e.g.
    ``components:12@1763800000,unit_grids:3@1763790000``: it changes with any edit or import, and a
    rebuilt database (counters from zero again) never repeats an old version."""
    with connection.cursor() as cur:
        cur.execute("SELECT layer, version, floor(extract(epoch FROM changed_at))::bigint FROM tiles_layer_version"
                    " WHERE layer = ANY(%s)", [layer_names])
        found = {layer: f"{version}@{at}" for layer, version, at in cur.fetchall()}
    return ",".join(f"{name}:{found.get(name, '0')}" for name in sorted(layer_names))


def tile_ranges(bounds: tuple[float, float, float, float], zmin: int,
                zmax: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(z, x0, y0, x1, y1): the XYZ tile columns and rows covering a lon/lat box at each zoom."""
    west, south, east, north = bounds

    def xy(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 1 << z
        lat = max(min(lat, 85.05112878), -85.05112878)
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    for z in range(zmin, zmax + 1):
        yield (z, *xy(west, north, z), *xy(east, south, z))


def count_tiles(bounds: tuple[float, float, float, float], zmin: int, zmax: int) -> int:
    """How many tiles :func:`tiles_over` yields, without listing them (z22 over a district is millions)."""
    return sum((x1 - x0 + 1) * (y1 - y0 + 1) for _, x0, y0, x1, y1 in tile_ranges(bounds, zmin, zmax))


def tiles_over(bounds: tuple[float, float, float, float], zmin: int, zmax: int) -> Iterator[tuple[int, int, int]]:
    """(z, x, y) of the XYZ tiles covering a lon/lat box at each zoom."""
    for z, x0, y0, x1, y1 in tile_ranges(bounds, zmin, zmax):
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


@dataclass(frozen=True)
class Plan:
    """What a package will hold: checked area, layers, zooms and the tiles to build."""

    area: str
    layers: tuple[Layer, ...]
    zooms: tuple[int, int]
    bounds: tuple[float, float, float, float]
    tiles: list[tuple[int, int, int]]

    @property
    def names(self) -> list[str]:
        return [la.name for la in self.layers]


def plan(area: str, layer_names: str, zooms: tuple[int, int], actor: Actor, max_tiles: int | None = None) -> Plan:
    """Check a package request (area inside the jurisdiction, readable layers, tile count) and list its tiles."""
    if not (len(area) in (6, 9, 12) and area.isdigit()):
        raise BadParameter(f"area must be a district, street or community code, got {area!r}", field="area",
                           rule="code_format")
    own = code_prefix(actor)  # 403 for an account without a jurisdiction
    if not area.startswith(own):
        raise OutsideJurisdiction(f"area {area} is outside your jurisdiction {own}", field="area")
    polygon = jurisdiction_geom(area)
    if polygon is None:
        raise BadParameter(f"no district, street or community has code {area}", field="area", rule="exists")
    layers = parse_layers(layer_names, actor)
    bounds = polygon.extent
    total = count_tiles(bounds, *zooms)
    if max_tiles is not None and total > max_tiles:
        raise BadParameter(f"{total} tiles exceed the limit of {max_tiles}; ask for fewer zooms or a "
                           "smaller area", field="zooms", rule="package_size")
    return Plan(area, layers, zooms, bounds, list(tiles_over(bounds, *zooms)))


def export(p: Plan, out: Path, actor: Actor, progress: Callable[[int], object] | None = None) -> Package:
    """Write the package of plan ``p`` to ``out`` (atomically: a ``.part`` file renamed when complete)."""
    layers, names, zooms, coords = p.layers, p.names, p.zooms, p.tiles
    xmin, ymin, xmax, ymax = p.bounds
    version = data_version(names)
    # A private temporary name: two requests writing the same package never share a file.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        written = 0
        for z, x, y in coords:
            raw = build(TileRequest(layers, z, x, y, (), jurisdiction_of(actor)))
            if raw:
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           (z, x, (1 << z) - 1 - y, gzip.compress(raw, mtime=0)))
                written += 1
            if progress:
                progress(1)
        vector_layers = [vector_layer(la) for la in layers]
        metadata = {
            "name": f"gridcity {p.area} {','.join(names)}", "format": "pbf", "type": "overlay", "version": "1",
            "description": f"gridcity offline package of {p.area}: {', '.join(la.title for la in layers)}",
            "bounds": f"{xmin},{ymin},{xmax},{ymax}", "minzoom": str(zooms[0]), "maxzoom": str(zooms[1]),
            "center": f"{(xmin + xmax) / 2},{(ymin + ymax) / 2},{zooms[0]}",
            "json": json.dumps({"vector_layers": vector_layers}, ensure_ascii=False),
            "gridcity_area": p.area, "gridcity_data_version": version,
            "gridcity_created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.commit()
    finally:
        db.close()
    tmp.replace(out)
    return Package(out, written, version)
