"""Tiles stay fresh: an edit through the API or plain SQL drops exactly the cached tiles it touches,
at every zoom and in every composite, filter and jurisdiction; ETags, gzip and cache headers."""

from __future__ import annotations

import gzip

import pytest
from django.db import connection
from tile_helpers import MVT, cached_keys, decode, fetch, get_tile, tile_of

from layers.models import Component
from layers.registry import registry
from tiles import cache

OLD = (120.42, 33.15)   # component 3209820101000001, unit grid 320982001001001
NEW = (120.435, 33.165)  # same unit grid, other tiles from z14 up
ELSEWHERE = (120.55, 33.15)  # component 3209820102000001, east street
CODE = "3209820101000001"
ZOOMS = (12, 14, 15, 16, 18)


def features(tile: dict, layer: str = "components") -> list[dict]:
    return tile.get(layer, {}).get("features", [])


def cached_rows() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM tiles_cache")
        return cur.fetchone()[0]


def patch(client, component: Component, body: dict) -> None:
    response = client.patch(f"/api/layers/components/features/{component.pk}", {"type": "Feature", **body},
                            format="json")
    assert response.status_code == 200, response.content


def test_every_layer_table_has_the_invalidation_triggers(db) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'tiles\\_%%'")
        found = set(cur.fetchall())
    for layer in registry.all():
        for op in ("insert", "update", "delete"):
            assert (layer.table, f"tiles_{layer.name}_{op}") in found


def test_moving_a_component_refreshes_every_tile_over_its_old_and_new_place(city) -> None:
    admin, surveyor = city.clients["admin"], city.clients["surveyor"]
    component = city.components[CODE]
    touched = {tile_of(*p, z) for p in (OLD, NEW) for z in ZOOMS}
    assert len(touched) > len(ZOOMS) + 2  # old and new lie in different tiles at several zooms
    before = {t: fetch(admin, "components", *t) for t in touched}
    # The same places through a composite, a filter and a jurisdiction: different cache rows, all touched.
    z16 = tile_of(*OLD, 16)
    variants = {
        "composite": lambda: fetch(admin, "unit_grids,components", *z16),
        "filtered": lambda: fetch(admin, "components", *z16, query="status=完好"),
        "street user": lambda: fetch(surveyor, "components", *z16),
    }
    variant_before = {name: get() for name, get in variants.items()}
    # Tiles the move does not touch: another layer at the old place, components elsewhere.
    untouched = [(("unit_grids",), *z16), *((("components",), *tile_of(*ELSEWHERE, z)) for z in ZOOMS)]
    fetch(admin, "unit_grids", *z16)
    for _, z, x, y in untouched[1:]:
        fetch(admin, "components", z, x, y)
    keys = cached_keys()
    assert {(("components",), *t) for t in touched} <= keys and set(untouched) <= keys
    assert (("unit_grids", "components"), *z16) in keys
    rows_before = cached_rows()

    patch(surveyor, component, {"geometry": {"type": "Point", "coordinates": list(NEW)}})

    keys = cached_keys()
    assert not {(("components",), *t) for t in touched} & keys
    assert (("unit_grids", "components"), *z16) not in keys
    assert set(untouched) <= keys, "tiles away from the edit were dropped"
    assert cached_rows() == rows_before - len(touched) - len(variants)
    served = {}
    for t in touched:
        after = served[t] = fetch(admin, "components", *t)
        assert after != before[t], t
        z = t[0]
        if z >= registry.get("components").cluster_below:
            mine = [f for f in features(after) if f["properties"]["code"] == CODE]
            assert bool(mine) == (t == tile_of(*NEW, z)), t
            assert not [f for f in features(before[t]) if f["properties"]["code"] == CODE] or t == tile_of(*OLD, z)
    for name, get in variants.items():
        again = get()
        assert again != variant_before[name], name
        assert CODE not in [f["properties"].get("code") for f in features(again)], name
    # What is now served equals a tile built from scratch.
    with connection.cursor() as cur:
        cur.execute("DELETE FROM tiles_cache")
    for t in touched:
        assert fetch(admin, "components", *t) == served[t], t


def test_a_status_change_through_the_api_shows_at_once(city) -> None:
    admin = city.clients["admin"]
    component = city.components[CODE]
    z, x, y = tile_of(*OLD, 17)
    first = get_tile(admin, "components", z, x, y)
    assert features(decode(first.content))[0]["properties"]["status"] == "完好"
    patch(city.clients["surveyor"], component, {"properties": {"status": "破损"}})
    second = get_tile(admin, "components", z, x, y)
    assert features(decode(second.content))[0]["properties"]["status"] == "破损"
    assert second["ETag"] != first["ETag"]
    # The filtered tile follows too.
    assert features(fetch(admin, "components", z, x, y, query="status=破损"))


def test_raw_sql_writes_invalidate_too(city) -> None:
    admin = city.clients["admin"]
    z, x, y = tile_of(*OLD, 16)
    assert features(fetch(admin, "components", z, x, y))[0]["properties"]["status"] == "完好"
    with connection.cursor() as cur:
        cur.execute("UPDATE layers_component SET status = '占用' WHERE code = %s", [CODE])
    assert (("components",), z, x, y) not in cached_keys()
    assert features(fetch(admin, "components", z, x, y))[0]["properties"]["status"] == "占用"
    with connection.cursor() as cur:  # a move by SQL invalidates the tile it leaves
        cur.execute("UPDATE layers_component SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4490) WHERE code = %s",
                    [*NEW, CODE])
    assert features(fetch(admin, "components", z, x, y)) == []
    assert features(fetch(admin, "components", *tile_of(*NEW, 16)))[0]["properties"]["code"] == CODE
    with connection.cursor() as cur:
        cur.execute("DELETE FROM layers_component WHERE code = %s", [CODE])
    assert features(fetch(admin, "components", *tile_of(*NEW, 16))) == []


def test_an_edit_during_a_build_keeps_that_tile_out_of_the_cache(city, monkeypatch) -> None:
    """The tile was built from data that changed meanwhile: it is served but not cached."""
    real_build = cache._build

    def build_then_edit(req):
        built = real_build(req)
        with connection.cursor() as cur:
            cur.execute("UPDATE layers_component SET note = 'edited' WHERE code = %s", [CODE])
        return built

    monkeypatch.setattr(cache, "_build", build_then_edit)
    z, x, y = tile_of(*OLD, 16)
    assert features(fetch(city.clients["admin"], "components", z, x, y))
    assert (("components",), z, x, y) not in cached_keys()
    monkeypatch.setattr(cache, "_build", real_build)
    tile = fetch(city.clients["admin"], "components", z, x, y)
    assert features(tile)[0]["properties"]["note"] == "edited"
    assert (("components",), z, x, y) in cached_keys()


def test_etag_and_if_none_match(city) -> None:
    admin = city.clients["admin"]
    z, x, y = tile_of(*OLD, 16)
    first = get_tile(admin, "components", z, x, y)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert get_tile(admin, "components", z, x, y)["ETag"] == etag  # from the cache, same tag
    assert get_tile(admin, "components", z, x, y, HTTP_ACCEPT_ENCODING="gzip")["ETag"] == etag
    not_modified = get_tile(admin, "components", z, x, y, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert get_tile(admin, "components", z, x, y, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    patch(city.clients["surveyor"], city.components[CODE], {"properties": {"name": "新名字"}})
    changed = get_tile(admin, "components", z, x, y, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert features(decode(changed.content))[0]["properties"]["name"] == "新名字"
    assert get_tile(admin, "components", z, x, y, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_gzip_when_asked_identity_otherwise_and_cache_headers(city) -> None:
    admin = city.clients["admin"]
    z, x, y = tile_of(*OLD, 16)
    plain = get_tile(admin, "components", z, x, y)
    zipped = get_tile(admin, "components", z, x, y, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == zipped.status_code == 200
    assert plain["Content-Type"] == zipped["Content-Type"] == MVT
    assert not plain.has_header("Content-Encoding") and plain.content[:2] != b"\x1f\x8b"
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == plain.content
    assert decode(plain.content)["components"]["features"]
    for response in (plain, zipped):
        assert response["Cache-Control"]
        assert "Accept-Encoding" in response["Vary"]
    # Even an empty tile is a valid response of the same kind.
    empty = get_tile(admin, "components", *tile_of(116.39, 39.91, 16), HTTP_ACCEPT_ENCODING="gzip")
    assert empty.status_code == 200 and decode(empty.content) == {}


@pytest.mark.parametrize("role", ["admin", "surveyor"])
def test_a_cached_tile_is_never_served_across_jurisdictions(city, role: str) -> None:
    """The east component's tile cached for the admin must not reach the street user, or the reverse."""
    east = tile_of(*ELSEWHERE, 16)
    other = "surveyor" if role == "admin" else "admin"
    fetch(city.clients[role], "components", *east)
    seen = features(fetch(city.clients[other], "components", *east))
    assert bool(seen) == (other == "admin")
