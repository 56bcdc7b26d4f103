"""GDAL reads what we serve: a fetched tile through the MVT driver, an offline package through the
MBTiles driver (``ogrinfo``, the reference reader outside our own code)."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from pyproj import Transformer
from tile_helpers import decode, get_tile, tile_of

from gridcity.cli import main as gridcity
from layers.access import visible
from layers.models import Component, UnitGrid
from layers.registry import registry
from tiles import mbtiles
from tiles.sql import vector_layer

TO_LONLAT = Transformer.from_crs(3857, 4326, always_xy=True)


def ogrinfo(*args: str) -> str:
    done = subprocess.run(["ogrinfo", "-ro", "-al", "-nomd", "-noextent", *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def layers_of(report: str) -> dict[str, dict]:
    """ogrinfo's text → {layer: {"count": n, "fields": {name: type}, "features": [{attr: value, "geometry": wkt}]}}."""
    out: dict[str, dict] = {}
    current: dict = {}
    for line in report.splitlines():
        if m := re.match(r"Layer name: (\S+)", line):
            current = out.setdefault(m.group(1), {"count": None, "fields": {}, "features": []})
        elif m := re.match(r"Feature Count: (\d+)", line):
            current["count"] = int(m.group(1))
        elif m := re.match(r"(\w+): (\w+) \(", line):
            current["fields"][m.group(1)] = m.group(2)
        elif line.startswith("OGRFeature("):
            current["features"].append({})
        elif m := re.match(r"  (\w+) \((\w+)\) = (.*)$", line):
            current["features"][-1][m.group(1)] = m.group(3)
        elif m := re.match(r"  ((?:MULTI)?(?:POINT|LINESTRING|POLYGON) .*)$", line):
            current["features"][-1]["geometry"] = m.group(1)
    return out


def test_ogrinfo_reads_a_served_tile(full_city, tmp_path: Path) -> None:
    component = full_city.components["3209820101000001"]
    z, x, y = tile_of(*component.geom.coords, 16)
    response = get_tile(full_city.clients["admin"], "components,unit_grids", z, x, y)
    assert response.status_code == 200
    path = tmp_path / "tile.mvt"
    path.write_bytes(response.content)
    found = layers_of(ogrinfo("-oo", f"X={x}", "-oo", f"Y={y}", "-oo", f"Z={z}", str(path)))
    assert set(found) == {"components", "unit_grids"}
    (feature,) = found["components"]["features"]
    assert found["components"]["count"] == 1
    assert (feature["code"], feature["status"], feature["name"]) == (component.code, component.status, component.name)
    assert feature["unit_grid"] == component.unit_grid_id
    lon, lat = TO_LONLAT.transform(*map(float, re.findall(r"[-\d.]+", feature["geometry"])))
    assert (lon, lat) == pytest.approx(component.geom.coords, abs=1e-5)  # a z16 pixel is ~1.3e-6°
    assert [f["code"] for f in found["unit_grids"]["features"]] == [component.unit_grid_id]
    assert found["unit_grids"]["fields"]["area_m2"] == "Real"

    # The same tile laid out as {z}/{x}/{y}.pbf is georeferenced by GDAL from its path alone.
    nested = tmp_path / "pyramid" / str(z) / str(x) / f"{y}.pbf"
    nested.parent.mkdir(parents=True)
    nested.write_bytes(response.content)
    again = layers_of(ogrinfo(str(nested)))
    assert again["components"]["features"][0]["geometry"] == feature["geometry"]


@pytest.fixture
def package(full_city, tmp_path: Path) -> Path:
    """The west street's package of three layers at z12–16, written by the CLI command in this process (a
    subprocess would not see the test database)."""
    out = tmp_path / "west.mbtiles"
    assert gridcity(["tiles", "export", "--area", "320982001", "--layers", "unit_grids,components,facilities",
                     "--zooms", "12-16", "--user", "surveyor1", str(out)]) == 0
    return out


def test_exported_package_metadata(full_city, package: Path) -> None:
    db = sqlite3.connect(package)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    assert meta["format"] == "pbf" and meta["minzoom"] == "12" and meta["maxzoom"] == "16"
    west, south, east, north = map(float, meta["bounds"].split(","))
    assert (west, south, east, north) == pytest.approx(full_city.streets["320982001"].geom.extent)
    for c in Component.objects.filter(unit_grid__code__startswith="320982001"):
        assert west <= c.geom.x <= east and south <= c.geom.y <= north
    vector_layers = json.loads(meta["json"])["vector_layers"]
    assert [v["id"] for v in vector_layers] == ["unit_grids", "components", "facilities"]
    assert vector_layers == [vector_layer(registry.get(v["id"])) for v in vector_layers]
    assert set(vector_layers[1]["fields"]) >= set(registry.get("components").fields)
    assert meta["gridcity_data_version"] == mbtiles.data_version(["unit_grids", "components", "facilities"])
    assert re.fullmatch(r"components:[1-9]\d*@\d+,facilities:[1-9]\d*@\d+,unit_grids:[1-9]\d*@\d+",
                        meta["gridcity_data_version"])
    assert meta["gridcity_area"] == "320982001"
    # Tiles are gzip MVT in TMS rows: component 1's z16 tile is at row 2^16 - 1 - y.
    zooms = {z for (z,) in db.execute("SELECT DISTINCT zoom_level FROM tiles")}
    assert zooms == set(range(12, 17))
    z, x, y = tile_of(120.42, 33.15, 16)
    (blob,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                         (z, x, (1 << z) - 1 - y)).fetchone()
    assert blob[:2] == b"\x1f\x8b"
    codes = [f["properties"]["code"] for f in decode(gzip.decompress(blob))["components"]["features"]]
    assert codes == ["3209820101000001"]
    db.close()


def test_ogrinfo_reads_an_exported_package(full_city, package: Path) -> None:
    surveyor = full_city.users["surveyor"]
    found = layers_of(ogrinfo("-oo", "ZOOM_LEVEL=16", str(package)))
    assert set(found) == {"unit_grids", "components", "facilities"}
    codes = sorted(f["code"] for f in found["components"]["features"])
    assert codes == sorted(visible(registry.get("components"), surveyor).values_list("code", flat=True))
    assert codes == ["3209820101000001", "3209820101000002"]  # only the west street's
    grids = {f["code"] for f in found["unit_grids"]["features"]}
    assert grids == set(UnitGrid.objects.filter(code__startswith="320982001").values_list("code", flat=True))
    assert [f["code"] for f in found["facilities"]["features"]] == ["F-001"]
    # GDAL types the attributes from the package's vector_layers.
    assert found["components"]["fields"]["scale_denominator"] == "Real"
    assert found["components"]["fields"]["code"] == "String"
    # Below cluster_below the package holds counted clusters.
    clustered = layers_of(ogrinfo("-oo", "ZOOM_LEVEL=12", str(package)))
    assert sum(int(f["count"]) for f in clustered["components"]["features"]) == len(codes)
