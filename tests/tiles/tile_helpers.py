"""Helpers of the tile tests: XYZ arithmetic written out independently of tiles/, fetching and decoding."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
from django.db import connection

MVT = "application/vnd.mapbox-vector-tile"
EXTENT = 4096


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ (Google/OSM) tile holding lon/lat at zoom z."""
    n = 2**z
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """west, south, east, north of an XYZ tile in degrees."""
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def to_lonlat(z: int, x: int, y: int, px: float, py: float) -> tuple[float, float]:
    """Tile pixel (y down, extent 4096) → lon/lat."""
    n = 2**z
    lon = (x + px / EXTENT) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + py / EXTENT) / n))))
    return lon, lat


def decode(body: bytes) -> dict:
    """An MVT (raw or gzip) → {layer: {"features": [...], ...}} with y pointing down, like the tile itself."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def get_tile(client, layers: str, z: int, x: int, y: int, query: str = "", **headers: str):
    return client.get(f"/tiles/{layers}/{z}/{x}/{y}.mvt" + (f"?{query}" if query else ""), **headers)


def fetch(client, layers: str, z: int, x: int, y: int, query: str = "") -> dict:
    """The decoded tile, after checking the response is a 200 MVT."""
    response = get_tile(client, layers, z, x, y, query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == MVT
    return decode(response.content)


def cached_keys() -> set[tuple[tuple[str, ...], int, int, int]]:
    """(layers, z, x, y) of every row in tiles_cache."""
    with connection.cursor() as cur:
        cur.execute("SELECT layers, z, x, y FROM tiles_cache")
        return {(tuple(r[0]), r[1], r[2], r[3]) for r in cur.fetchall()}


def buffered_bounds(z: int, x: int, y: int, buffer: int = 64) -> tuple[float, float, float, float]:
    """The tile's box widened by the MVT buffer (in tile pixels), in degrees: what a tile may hold."""
    west, north = to_lonlat(z, x, y, -buffer, -buffer)
    east, south = to_lonlat(z, x, y, EXTENT + buffer, EXTENT + buffer)
    return west, south, east, north


def pixel_bbox(geometry: dict) -> tuple[float, float, float, float]:
    """minx, miny, maxx, maxy of a decoded geometry's tile coordinates."""
    xs, ys = [], []

    def walk(coords: list) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for item in coords:
                walk(item)

    walk(geometry["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def inside(feature: dict) -> bool:
    """A point feature within the tile proper (not in its buffer)."""
    px, py = feature["geometry"]["coordinates"]
    return 0 <= px < EXTENT and 0 <= py < EXTENT


def tiles_covering(points: list[tuple[float, float]], z: int) -> set[tuple[int, int, int]]:
    return {tile_of(lon, lat, z) for lon, lat in points}
