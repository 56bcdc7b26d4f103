"""Offline packages over the API: an MBTiles file of the user's area, its data version, refresh after
edits, and the refusals (jurisdiction, size, parameters)."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest
from tile_helpers import decode, tile_of

from layers.models import Component
from tiles import mbtiles

WEST = "320982001"
PACKAGE = f"/api/offline-packages/{WEST}.mbtiles"
VERSION = f"/api/offline-packages/{WEST}/version"
LAYERS = "unit_grids,components"


def download(client, url: str, tmp_path: Path, **params: str) -> tuple[Path, object]:
    response = client.get(url, params)
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"] == "application/vnd.sqlite3"
    assert "attachment" in response["Content-Disposition"] and ".mbtiles" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # consuming it closes the file, as a WSGI server would
    assert body.startswith(b"SQLite format 3\x00")
    path = tmp_path / f"download-{len(list(tmp_path.iterdir()))}.mbtiles"
    path.write_bytes(body)
    return path, response


def read(path: Path) -> tuple[dict[str, str], dict[tuple[int, int, int], bytes]]:
    """(metadata, {(z, x, xyz_y): raw MVT}) of a package."""
    db = sqlite3.connect(path)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    tiles = {(z, x, (1 << z) - 1 - row): gzip.decompress(data)
             for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    db.close()
    return meta, tiles


def component_codes(tiles: dict, z: int) -> set[str]:
    return {f["properties"]["code"] for key, raw in tiles.items() if key[0] == z
            for f in decode(raw).get("components", {}).get("features", [])}


def test_the_api_returns_an_mbtiles_package_of_the_area(city, tmp_path: Path) -> None:
    client = city.clients["surveyor"]
    path, response = download(client, PACKAGE, tmp_path, layers=LAYERS, zooms="14-16")
    meta, tiles = read(path)
    assert meta["format"] == "pbf" and (meta["minzoom"], meta["maxzoom"]) == ("14", "16")
    assert meta["gridcity_area"] == WEST
    version = client.get(VERSION, {"layers": LAYERS}).json()
    assert version == {"area": WEST, "layers": ["unit_grids", "components"],
                       "data_version": meta["gridcity_data_version"]}
    assert response["X-Gridcity-Data-Version"] == meta["gridcity_data_version"]
    assert {z for z, _, _ in tiles} == {14, 15, 16}
    west_codes = set(Component.objects.filter(unit_grid__code__startswith=WEST).values_list("code", flat=True))
    assert component_codes(tiles, 16) == west_codes and len(west_codes) == 2
    assert tile_of(120.42, 33.15, 16) in tiles
    for raw in tiles.values():  # every stored tile is a non-empty MVT
        assert set(decode(raw)) <= {"unit_grids", "components"} and decode(raw)


def test_the_package_follows_edits(city, tmp_path: Path, package_dir: Path) -> None:
    client = city.clients["surveyor"]
    before = client.get(VERSION, {"layers": LAYERS}).json()["data_version"]
    first, _ = download(client, PACKAGE, tmp_path, layers=LAYERS, zooms="16")
    download(client, PACKAGE, tmp_path, layers=LAYERS, zooms="16")
    assert len(list(package_dir.glob("*.mbtiles"))) == 1  # built once, served twice

    component = city.components["3209820101000001"]
    response = client.patch(f"/api/layers/components/features/{component.pk}",
                            {"type": "Feature", "properties": {"status": "丢失"}}, format="json")
    assert response.status_code == 200, response.content
    after = client.get(VERSION, {"layers": LAYERS}).json()["data_version"]
    assert after != before
    parts = [dict(p.split(":") for p in v.split(",")) for v in (before, after)]
    assert int(parts[1]["components"].split("@")[0]) > int(parts[0]["components"].split("@")[0])
    assert parts[1]["unit_grids"] == parts[0]["unit_grids"]
    grids_only = client.get(VERSION, {"layers": "unit_grids"}).json()["data_version"]
    assert grids_only == f"unit_grids:{parts[0]['unit_grids']}"

    second, _ = download(client, PACKAGE, tmp_path, layers=LAYERS, zooms="16")
    meta, tiles = read(second)
    assert meta["gridcity_data_version"] == after
    statuses = {f["properties"]["code"]: f["properties"]["status"] for raw in tiles.values()
                for f in decode(raw).get("components", {}).get("features", [])}
    assert statuses[component.code] == "丢失"
    assert read(first)[0]["gridcity_data_version"] == before


def test_a_package_is_scoped_to_the_users_jurisdiction(city, tmp_path: Path) -> None:
    path, _ = download(city.clients["supervisor"], PACKAGE.replace(WEST, "320982001001"), tmp_path,
                       layers="components,roads", zooms="16")
    _, tiles = read(path)
    assert component_codes(tiles, 16) == {"3209820101000001"}  # community 320982001001 only


@pytest.mark.parametrize("role, area", [("surveyor", "320982002"), ("surveyor", "320982"),
                                        ("supervisor", "320982001002"), ("planner", WEST)])
def test_an_area_outside_the_jurisdiction_is_403(city, role: str, area: str, error_of) -> None:
    client = city.clients[role]
    for url in (f"/api/offline-packages/{area}.mbtiles", f"/api/offline-packages/{area}/version"):
        error = error_of(client.get(url, {"layers": LAYERS, "zooms": "16"}), 403)
        assert (error["field"], error["rule"]) == ("area", "jurisdiction")


@pytest.mark.parametrize("params, status, field, rule", [
    ({"zooms": "16"}, 400, "layers", "required"),
    ({"layers": "", "zooms": "16"}, 400, "layers", "required"),
    ({"layers": LAYERS, "zooms": "12-22"}, 400, "zooms", "package_size"),
    ({"layers": LAYERS, "zooms": "abc"}, 400, "zooms", "zoom_range"),
    ({"layers": LAYERS, "zooms": "16-12"}, 400, "zooms", "zoom_range"),
    ({"layers": LAYERS, "zooms": "12-23"}, 400, "zooms", "zoom_range"),
    ({"layers": "components,nope", "zooms": "16"}, 404, "layer", "known_layer"),
])
def test_bad_package_requests(city, params: dict, status: int, field: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].get("/api/offline-packages/320982.mbtiles", params), status)
    assert (error["field"], error["rule"]) == (field, rule)


def tile_count(bounds: tuple[float, float, float, float], zmin: int, zmax: int) -> int:
    west, south, east, north = bounds
    total = 0
    for z in range(zmin, zmax + 1):
        _, x0, y0 = tile_of(west, north, z)
        _, x1, y1 = tile_of(east, south, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def test_too_many_tiles_names_the_count(city, settings, error_of) -> None:
    settings.GRIDCITY_PACKAGE_MAX_TILES = 10
    error = error_of(city.clients["admin"].get(PACKAGE, {"layers": LAYERS, "zooms": "14"}), 400)
    expected = tile_count(city.streets[WEST].geom.extent, 14, 14)
    assert expected > 10 and str(expected) in error["message"]
    assert expected == len(list(mbtiles.tiles_over(city.streets[WEST].geom.extent, 14, 14)))


def test_a_huge_package_is_refused_by_counting_not_listing(city, monkeypatch, error_of) -> None:
    """Every zoom over the district is ~7 million tiles: refused from the count alone."""
    def no_listing(*args: object) -> None:
        raise AssertionError("the tiles were listed before the size check")

    monkeypatch.setattr(mbtiles, "tiles_over", no_listing)
    error = error_of(city.clients["admin"].get("/api/offline-packages/320982.mbtiles",
                                               {"layers": LAYERS, "zooms": "0-22"}), 400)
    assert error["rule"] == "package_size"
    assert str(tile_count(city.district.geom.extent, 0, 22)) in error["message"]


@pytest.mark.parametrize("area, rule", [("320982009", "exists"), ("abc", "code_format"), ("3209820011", "code_format")])
def test_unknown_or_malformed_areas(city, area: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(f"/api/offline-packages/{area}/version", {"layers": LAYERS}), 400)
    assert (error["field"], error["rule"]) == ("area", rule)


def test_packages_need_a_login(city) -> None:
    assert city.anonymous.get(PACKAGE, {"layers": LAYERS, "zooms": "16"}).status_code == 401
    assert city.anonymous.get(VERSION, {"layers": LAYERS}).status_code == 401
