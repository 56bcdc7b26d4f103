"""Tiles and caches an import affects are refreshed: cached component tiles over the rows an import adds,
moves or renames are dropped and rebuilt with the change (plain, composite and per-jurisdiction tiles),
tiles away from those rows stay cached, and an unchanged re-import or a dry run drops nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from import_files import SAMPLE, frame, write_csv
from tile_helpers import decode, tile_of
from tile_helpers import get_tile as tile_response

from importers import load
from layers.models import Component

OLD_CODE, OLD = "3209820101000001", (120.42, 33.15)        # fixture component, unit grid 320982001001001
NEAR = (120.4205, 33.1495)                                  # ~55 m away: the same tile at z16 and z18
NEW = (120.435, 33.165)                                     # same unit grid, other tiles from z14 up
EAST_CODE, EAST = "3209820102000001", (120.55, 33.15)       # fixture component, east street
FAR_CODE, FAR = "3209820201000001", (120.57, 33.25)         # fixture component, left alone by every file
ADDED = "3209820101000301"
HEADER = ["标识码", "名称", "状态", "经度", "纬度"]
WEST = "320982001"


def get_tile(client, layers: str, tile: tuple[int, int, int], **headers: str):
    response = tile_response(client, layers, *tile, **headers)
    assert response.status_code == 200, response.content
    return response


def components(response) -> dict[str, dict]:
    """code → properties of the components in a tile response."""
    features = decode(response.content).get("components", {}).get("features", [])
    return {f["properties"]["code"]: f["properties"] for f in features}


def cached_keys() -> set[tuple[tuple[str, ...], str, int, int, int]]:
    """(layers, jurisdiction, z, x, y) of every cached tile."""
    with connection.cursor() as cur:
        cur.execute("SELECT layers, jurisdiction, z, x, y FROM tiles_cache")
        return {(tuple(r[0]), r[1], r[2], r[3], r[4]) for r in cur.fetchall()}


def key(layers: str, tile: tuple[int, int, int], jurisdiction: str = "*") -> tuple:
    return (tuple(layers.split(",")), jurisdiction, *tile)


def test_an_import_adding_a_component_refreshes_the_tiles_over_it(city, tmp_path, imported):
    """Through the API (run by the job worker): the plain, composite and street user's tiles over the new row are
    rebuilt with it; the tile over the east street is not touched."""
    admin, surveyor = city.clients["admin"], city.clients["surveyor"]
    near = [tile_of(*NEAR, z) for z in (16, 18)]
    assert near == [tile_of(*OLD, z) for z in (16, 18)]
    east = tile_of(*EAST, 16)
    before = {t: components(get_tile(admin, "components", t)) for t in near}
    assert all(set(codes) == {OLD_CODE} for codes in before.values()), before
    composite = components(get_tile(admin, "unit_grids,components", near[0]))
    assert set(composite) == {OLD_CODE}
    assert set(components(get_tile(surveyor, "components", near[0]))) == {OLD_CODE}
    east_first = get_tile(admin, "components", east)
    assert set(components(east_first)) == {EAST_CODE}
    touched = {key("components", t) for t in near} | {key("unit_grids,components", near[0]),
                                                       key("components", near[0], WEST)}
    assert touched | {key("components", east)} <= cached_keys()

    path = write_csv(tmp_path / "added.csv", HEADER, [[ADDED, "新井盖", "破损", *NEAR]])
    body = imported(admin, path, kind="components", crs="EPSG:4490")
    assert body["status"] == "done" and body["summary"]["inserted"] == 1, body

    keys = cached_keys()
    assert not touched & keys, "a tile over the imported row is still cached"
    assert key("components", east) in keys, "a tile away from the import was dropped"
    for t in near:
        after = components(get_tile(admin, "components", t))
        assert set(after) == {OLD_CODE, ADDED}, t
        assert (after[ADDED]["name"], after[ADDED]["status"]) == ("新井盖", "破损")
    assert set(components(get_tile(admin, "unit_grids,components", near[0]))) == {OLD_CODE, ADDED}
    assert set(components(get_tile(surveyor, "components", near[0]))) == {OLD_CODE, ADDED}
    assert get_tile(admin, "components", east)["ETag"] == east_first["ETag"]


def test_an_import_moving_and_renaming_components_refreshes_old_and_new_places(city, tmp_path):
    admin = city.clients["admin"]
    old, new, east, far = (tile_of(*p, 16) for p in (OLD, NEW, EAST, FAR))
    assert len({old, new, east, far}) == 4
    first = {t: get_tile(admin, "components", t) for t in (old, new, east, far)}
    assert set(components(first[old])) == {OLD_CODE} and components(first[new]) == {}
    assert components(first[east])[EAST_CODE]["name"] == "污水井盖一"
    assert set(components(first[far])) == {FAR_CODE}
    version = "/api/offline-packages/320982/version"
    version_before = admin.get(version, {"layers": "components"}).json()["data_version"]

    path = write_csv(tmp_path / "moved.csv", HEADER, [
        [OLD_CODE, "上水井盖一（迁）", "完好", *NEW],   # moved within its unit grid, renamed
        [EAST_CODE, "污水井盖一（改）", "完好", *EAST],  # renamed in place
    ])
    result = load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4490"))
    assert (result.counts.inserted, result.counts.updated, result.rejected) == (0, 2, 0), result.errors
    assert Component.objects.get(code=OLD_CODE).geom.coords == pytest.approx(NEW)

    keys = cached_keys()
    assert not {key("components", t) for t in (old, new, east)} & keys
    assert key("components", far) in keys
    assert components(get_tile(admin, "components", old)) == {}
    moved = components(get_tile(admin, "components", new))
    assert set(moved) == {OLD_CODE} and moved[OLD_CODE]["name"] == "上水井盖一（迁）"
    renamed = get_tile(admin, "components", east)
    assert components(renamed)[EAST_CODE]["name"] == "污水井盖一（改）"
    assert renamed["ETag"] != first[east]["ETag"]
    assert get_tile(admin, "components", far)["ETag"] == first[far]["ETag"]
    # offline packages: the data version a client compares its package with has moved on
    assert admin.get(version, {"layers": "components"}).json()["data_version"] != version_before


def test_an_unchanged_reimport_keeps_the_cached_tiles(city, tmp_path):
    admin, user = city.clients["admin"], city.users["admin"]
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    assert load.run("components", path, user).counts.inserted == len(SAMPLE)
    tiles = [tile_of(lon, lat, 16) for _, _, _, lon, lat in SAMPLE]
    first = {t: get_tile(admin, "components", t) for t in tiles}
    for (code, *_), t in zip(SAMPLE, tiles, strict=True):
        assert code in components(first[t])

    version = "/api/offline-packages/320982/version"
    version_before = admin.get(version, {"layers": "components"}).json()["data_version"]
    again = load.run("components", path, user)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, len(SAMPLE))
    # nothing changed, so offline packages of the layer are still current
    assert admin.get(version, {"layers": "components"}).json()["data_version"] == version_before

    # Still cached (the ETag is the content's hash, so an equal ETag alone would not tell a kept tile
    # from a rebuilt one; the cache rows do).
    assert {key("components", t) for t in tiles} <= cached_keys()
    for t in tiles:
        assert get_tile(admin, "components", t)["ETag"] == first[t]["ETag"]


def test_a_dry_run_import_drops_no_tile(city, tmp_path):
    admin = city.clients["admin"]
    near = tile_of(*NEAR, 16)
    first = get_tile(admin, "components", near)
    assert set(components(first)) == {OLD_CODE}
    path = write_csv(tmp_path / "added.csv", HEADER, [[ADDED, "新井盖", "完好", *NEAR]])

    result = load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4490", dry_run=True))
    assert result.counts.inserted == 1 and result.dry_run

    assert key("components", near) in cached_keys()
    again = get_tile(admin, "components", near)
    assert set(components(again)) == {OLD_CODE} and again["ETag"] == first["ETag"]
    assert not Component.objects.filter(code=ADDED).exists()
