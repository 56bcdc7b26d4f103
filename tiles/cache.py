"""Building, caching and invalidating tiles.

Tiles are cached gzip-compressed in ``tiles_cache`` keyed by layers, z/x/y, filters and the
user's jurisdiction. Freshness is kept by the database: a trigger on every layer table drops
the cached tiles whose envelopes the changed rows' old or new geometries touch (API edits,
imports, anything). A tile built while an edit commits is not cached: the layers' versions are
read before the build and re-checked under a share lock before the insert.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from django.db import connection, transaction

from layers.registry import registry
from layers.triggers import install_statement_triggers

from .request import TileRequest
from .sql import BUFFER, EXTENT, tile_sql


@dataclass(frozen=True)
class Tile:
    gzipped: bytes
    etag: str


def _versions(names: list[str], lock: bool = False) -> list[int]:
    query = "SELECT layer, version FROM tiles_layer_version WHERE layer = ANY(%s) ORDER BY layer"
    with connection.cursor() as cur:
        cur.execute(query + (" FOR SHARE" if lock else ""), [names])
        found = dict(cur.fetchall())
    return [found.get(n, 0) for n in sorted(names)]


def build(req: TileRequest) -> bytes:
    """The raw (uncompressed) MVT for a request: one query."""
    query, params = tile_sql(req.layer_queries(), req.z, req.x, req.y)
    with connection.cursor() as cur:
        cur.execute(query.as_string(cur.cursor), params)
        return bytes(cur.fetchone()[0])


def cached(req: TileRequest) -> Tile | None:
    with connection.cursor() as cur:
        cur.execute("SELECT data, etag FROM tiles_cache WHERE key = %s", [req.cache_key])
        row = cur.fetchone()
    return Tile(bytes(row[0]), row[1]) if row else None


def fetch(req: TileRequest) -> Tile:
    """The cached tile, or a freshly built one that is cached unless data changed meanwhile."""
    hit = cached(req)
    if hit is not None:
        return hit
    names = [la.name for la in req.layers]
    before = _versions(names)
    raw = build(req)
    tile = Tile(gzip.compress(raw, compresslevel=6, mtime=0), hashlib.md5(raw).hexdigest())
    with transaction.atomic(), connection.cursor() as cur:
        if _versions(names, lock=True) == before:
            cur.execute(
                "INSERT INTO tiles_cache (key, layers, z, x, y, envelope, data, etag)"
                " VALUES (%s, %s, %s, %s, %s, ST_TileEnvelope(%s, %s, %s, margin => %s), %s, %s)"
                " ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, etag = EXCLUDED.etag, created_at = now()",
                [req.cache_key, names, req.z, req.x, req.y, req.z, req.x, req.y, BUFFER / EXTENT,
                 tile.gzipped, tile.etag],
            )
    return tile


def install() -> None:
    """(Re)create the invalidation triggers on every registered layer's table; idempotent."""
    for layer in registry.all():
        install_statement_triggers(layer.table, f"tiles_{layer.name}", "gridcity_tiles_invalidate",
                                   [layer.name, layer.geometry_field])


def install_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "tiles":
        install()
