"""The tile cache stays within its size limit (``GRIDCITY_TILE_CACHE_MAX_MB``): over it, the oldest
tiles go and the newest stay."""

from __future__ import annotations

import math

from django.db import connection
from tile_helpers import fetch, tile_of

from tiles import cache

PLACE = (120.42, 33.15)


def cached() -> list[tuple[int, int]]:
    """(zoom, gzipped bytes) of every cached tile, newest first."""
    with connection.cursor() as cur:
        cur.execute("SELECT z, octet_length(data) FROM tiles_cache ORDER BY created_at DESC")
        return list(cur.fetchall())


def test_over_its_limit_the_cache_keeps_its_newest_tiles(city) -> None:
    for z in (12, 13, 14, 15, 16, 17):  # the biggest tiles first, so the oldest
        fetch(city.clients["admin"], "components", *tile_of(*PLACE, z))
    tiles = cached()
    assert [z for z, _ in tiles] == [17, 16, 15, 14, 13, 12]
    newest = sum(size for _, size in tiles[:2])
    limit = math.ceil(newest / cache.PRUNE_TO)  # the newest two fill the share kept, the third does not fit
    assert sum(size for _, size in tiles) > limit

    assert cache.prune(limit) == 4
    assert cached() == tiles[:2]
    assert cache.prune(limit) == 0  # within the limit now


def test_caching_checks_the_limit_every_so_many_tiles(city, settings, monkeypatch) -> None:
    admin = city.clients["admin"]
    fetch(admin, "components", *tile_of(*PLACE, 15))
    assert len(cached()) == 1
    settings.GRIDCITY_TILE_CACHE_MAX_BYTES = 1
    monkeypatch.setattr(cache, "PRUNE_EVERY", 1)
    fetch(admin, "components", *tile_of(*PLACE, 16))
    assert cached() == []  # no tile fits in one byte
