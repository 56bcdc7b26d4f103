"""Building, caching and invalidating tiles.

Tiles are cached gzip-compressed in ``tiles_cache`` keyed by layers, z/x/y, filters and the
user's jurisdiction. Freshness is kept by the database: a trigger on every layer table drops
the cached tiles whose envelopes the changed rows' old or new geometries touch (API edits,
imports, anything). A tile built while an edit commits is not cached: the layers' versions are
read with the build and re-checked under a share lock by the insert.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from layers.access import JURISDICTION_MODELS
from layers.registry import registry
from layers.triggers import install_statement_triggers

from .request import TileRequest
from .sql import BUFFER, EXTENT, tile_sql

# gzip level for cached tiles: on MVT level 1 is nearly as small as level 6 and much cheaper to build.
GZIP_LEVEL = 1
# Every this many tiles a process caches, it checks the cache against its size limit (:func:`prune`).
PRUNE_EVERY = 1000
# A cache over its limit keeps its newest tiles up to this share of the limit (room to grow again).
PRUNE_TO = 0.75
_stored = itertools.count(1)


@dataclass(frozen=True)
class Tile:
    gzipped: bytes
    etag: str


def _build(req: TileRequest) -> tuple[bytes, list[int]]:
    """The raw MVT and, from the same snapshot, its layers' data versions (in layer-name order)."""
    query, params = tile_sql(req.layer_queries(), req.z, req.x, req.y)
    versions = (", (SELECT coalesce(array_agg(version ORDER BY layer), '{}') FROM tiles_layer_version"
                " WHERE layer = ANY(%s))")
    with connection.cursor() as cur:
        cur.execute(query + versions, [*params, _names(req)])
        data, seen = cur.fetchone()
    return bytes(data), list(seen)


def build(req: TileRequest) -> bytes:
    """The raw (uncompressed) MVT for a request: one query."""
    return _build(req)[0]


def gunzip(tile: Tile) -> bytes:
    return gzip.decompress(tile.gzipped)


def _names(req: TileRequest) -> list[str]:
    return sorted(la.name for la in req.layers)


def cached(req: TileRequest) -> Tile | None:
    with connection.cursor() as cur:
        cur.execute("SELECT data, etag FROM tiles_cache WHERE key = %s AND jurisdiction = %s",
                    [req.cache_key, req.jurisdiction])
        row = cur.fetchone()
    return Tile(bytes(row[0]), row[1]) if row else None


@dataclass(frozen=True)
class TokenUser:
    """The user behind an API token, as the tile path needs it (see :func:`cached_for_token`)."""

    username: str
    role: str
    jurisdiction_code: str


# Tokens are authenticated by the database function ``gridcity_token_user(key)``, which applies
# the token rules (revoked, idle and absolute expiry, the user active and not locked) and records
# the use; the accounts app creates it (its migration 0003), so the tiles need not import accounts.
# What a token can look like; anything else is refused before it reaches SQL.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")


def token_user(token: str) -> TokenUser | None:
    """The valid token's user, or ``None``."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT username, role, jurisdiction_code FROM gridcity_token_user(%s)", [token])
        row = cur.fetchone()
    return TokenUser(*row) if row else None


def cached_for_token(token: str, spec: TileRequest) -> tuple[TokenUser, Tile | None] | None:
    """Authenticate a token and look up its user's cached tile in one round trip (the hot path of
    mobile clients). ``None`` when the token is not valid."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.username, t.role, t.jurisdiction_code, c.data, c.etag FROM gridcity_token_user(%s) t"
            " LEFT JOIN tiles_cache c ON c.key = %s AND c.jurisdiction = t.jurisdiction_code",
            [token, spec.cache_key],
        )
        row = cur.fetchone()
    if row is None:
        return None
    tile = Tile(bytes(row[3]), row[4]) if row[3] is not None else None
    return TokenUser(row[0], row[1], row[2]), tile


def fetch(req: TileRequest) -> Tile:
    """The cached tile, or a freshly built one (see :func:`build_and_cache`)."""
    return cached(req) or build_and_cache(req)


def build_and_cache(req: TileRequest) -> Tile:
    """Build the tile and cache it at once (see :func:`build_then_store`)."""
    tile, store = build_then_store(req)
    store()
    return tile


def build_then_store(req: TileRequest) -> tuple[Tile, Callable[[], None]]:
    """Build the tile; the returned callable caches it, unless one of its layers changed since the
    build's snapshot. The WSGI fast path calls it after the response is sent, off the client's wait.

    The insert re-reads the versions ``FOR SHARE``: an edit that has bumped a version but not yet
    committed makes it wait and then see the new version (no insert); an edit that bumps later
    waits for this insert and its trigger then drops the row. Either way no stale tile stays.
    """
    raw, versions = _build(req)
    tile = Tile(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0), hashlib.md5(raw).hexdigest())
    return tile, partial(_store, req, tile, versions)


def _store(req: TileRequest, tile: Tile, versions: list[int]) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO tiles_cache (key, jurisdiction, layers, z, x, y, envelope, data, etag, created_at)"
            " SELECT %s, %s, %s, %s, %s, %s, ST_TileEnvelope(%s, %s, %s, margin => %s), %s, %s, clock_timestamp()"
            " WHERE (SELECT coalesce(array_agg(version ORDER BY layer), '{}') FROM"
            "        (SELECT layer, version FROM tiles_layer_version WHERE layer = ANY(%s) FOR SHARE) v) = %s::bigint[]"
            " ON CONFLICT (key, jurisdiction) DO UPDATE"
            " SET data = EXCLUDED.data, etag = EXCLUDED.etag, created_at = EXCLUDED.created_at",
            [req.cache_key, req.jurisdiction, [la.name for la in req.layers], req.z, req.x, req.y, req.z, req.x,
             req.y, BUFFER / EXTENT, tile.gzipped, tile.etag, _names(req), versions],
        )
        stored = cur.rowcount
    if stored and next(_stored) % PRUNE_EVERY == 0:
        prune(settings.GRIDCITY_TILE_CACHE_MAX_BYTES)


def prune(limit: int) -> int:
    """Keep the cached tiles within ``limit`` bytes of gzipped data: when over it, drop the oldest
    tiles until the newest fill :data:`PRUNE_TO` of it (oldest built first: a tile still in use
    is soon built and cached again). Returns the tiles dropped; one process prunes at a time, and
    it skips tiles an edit's invalidation holds (never waits on nor deadlocks with an edit)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtext('gridcity.tiles.prune'))"
                    " AND (SELECT coalesce(sum(octet_length(data)), 0) FROM tiles_cache) > %s", [limit])
        row = cur.fetchone()
        if not (row and row[0]):
            return 0
        cur.execute("DELETE FROM tiles_cache WHERE ctid IN (SELECT c.ctid FROM tiles_cache c JOIN"
                    " (SELECT key, jurisdiction, sum(octet_length(data)) OVER"
                    "  (ORDER BY created_at DESC, key, jurisdiction) AS newer FROM tiles_cache) t"
                    " ON t.key = c.key AND t.jurisdiction = c.jurisdiction WHERE t.newer > %s"
                    " FOR UPDATE OF c SKIP LOCKED)", [int(limit * PRUNE_TO)])
        return cur.rowcount


def install() -> None:
    """(Re)create the invalidation triggers on every registered layer's table and its version row
    (so even a layer's first edit has a row to lock); idempotent.

    Layers whose rows are jurisdictions (district, street, community: scoped by their own code)
    also name their code column, so a changed boundary drops the tiles cached for that jurisdiction.
    """
    with connection.cursor() as cur:
        cur.execute("INSERT INTO tiles_layer_version (layer) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                    [[layer.name for layer in registry.all()]])
    for layer in registry.all():
        unit = [layer.column("code")] if layer.model in JURISDICTION_MODELS else []
        install_statement_triggers(layer.table, f"tiles_{layer.name}", "gridcity_tiles_invalidate",
                                   [layer.name, layer.geometry_field, *unit])
        with connection.cursor() as cur:
            cur.execute(sql.SQL(
                "CREATE OR REPLACE TRIGGER {name} AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gridcity_tiles_truncated({layer})"
            ).format(name=sql.Identifier(f"tiles_{layer.name}_truncate"), table=sql.Identifier(layer.table),
                     layer=sql.Literal(layer.name)).as_string(cur.cursor))


def install_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "tiles":
        install()
