"""Each reader and CRS round-trips a sample into the right place (files written by real drivers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from django.db import connection
from import_files import EXPECTED_GRID, SAMPLE, frame, project, to_offset, write_csv, write_xlsx, zipped_shapefile

from importers import load
from layers.models import Component

LON = np.array([r[3] for r in SAMPLE])
LAT = np.array([r[4] for r in SAMPLE])
TOLERANCE = 1e-7  # degrees, ≈1 cm


def imported(result, tolerance: float = TOLERANCE) -> None:
    """The sample landed: three inserted, each in its grid, at its position, with its Chinese name."""
    assert result.counts.inserted == 3, result.errors
    assert result.rejected == 0
    for code, name, status, lon, lat in SAMPLE:
        c = Component.objects.get(code=code)
        assert c.unit_grid_id == EXPECTED_GRID[code]
        assert (c.name, c.status, c.component_class_id) == (name, status, code[6:10])
        assert abs(c.geom.x - lon) < tolerance and abs(c.geom.y - lat) < tolerance
        assert c.geom.srid == 4490


def test_geopackage_in_cgcs2000(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("components", path, city.users["admin"])
    imported(result)
    assert (result.format, result.crs) == ("geopackage", "EPSG:4490")


def test_heights_are_dropped_from_a_geopackage_and_from_wkt(city, tmp_path):
    """The layers are 2D: a file's Z is dropped as its geometries are read, and a WKT column's too."""
    path = tmp_path / "census.gpkg"
    frame().set_geometry(shapely.points([(r[3], r[4], 12.5) for r in SAMPLE]), crs="EPSG:4490").to_file(
        path, driver="GPKG", engine="pyogrio")
    imported(load.run("components", path, city.users["admin"]))
    Component.objects.filter(code__in=[r[0] for r in SAMPLE]).delete()
    rows = [[code, name, status, f"POINT Z ({lon} {lat} 12.5)"] for code, name, status, lon, lat in SAMPLE]
    imported(load.run("components", write_csv(tmp_path / "wkt.csv", ["标识码", "名称", "状态", "WKT"], rows),
                      city.users["admin"], load.Options(crs="EPSG:4490")))
    assert not Component.objects.filter(code__in=[r[0] for r in SAMPLE], geom__isnull=True).exists()
    with connection.cursor() as cur:
        cur.execute("SELECT bool_or(ST_NDims(geom) > 2) FROM layers_component")
        assert cur.fetchone() == (False,)


def test_zipped_shapefile_gbk_without_cpg_in_gauss_kruger(city, tmp_path):
    east, north = project(LON, LAT, 4549)  # CGCS2000 3-degree GK, CM 120°E, no zone prefix
    gdf = frame().set_geometry(__import__("shapely").points(np.column_stack([east, north])), crs="EPSG:4549")
    path = zipped_shapefile(gdf, tmp_path, encoding="GBK", drop=(".cpg",))
    result = load.run("components", path, city.users["admin"])
    imported(result)
    assert result.crs == "EPSG:4549"


def test_zipped_shapefile_zone_prefixed_eastings(city, tmp_path):
    east, north = project(LON, LAT, 4528)  # zone 40, eastings 40 xxx xxx
    assert (east > 40_000_000).all()
    gdf = frame().set_geometry(__import__("shapely").points(np.column_stack([east, north])), crs="EPSG:4528")
    imported(load.run("components", zipped_shapefile(gdf, tmp_path), city.users["admin"]))


def test_geojson_wgs84(city, tmp_path):
    path = tmp_path / "census.geojson"
    frame().to_crs(4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    result = load.run("components", path, city.users["admin"])
    imported(result, tolerance=1e-6)
    assert result.crs == "EPSG:4326"


def test_csv_survey_axes_x_is_northing(city, tmp_path):
    """X坐标 is the northing, Y坐标 the (zone-prefixed) easting, as Chinese survey tables give them."""
    east, north = project(LON, LAT, 4528)
    rows = [[r[0], r[1], r[2], f"{n:.4f}", f"{e:.4f}"] for r, e, n in zip(SAMPLE, east, north, strict=True)]
    path = write_csv(tmp_path / "census.csv", ["标识码", "名称", "状态", "X坐标", "Y坐标"], rows, encoding="gbk")
    imported(load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4528")), tolerance=1e-6)


def test_csv_gcj02(city, tmp_path):
    glon, glat = to_offset(LON, LAT, "gcj02")
    rows = [[r[0], r[1], r[2], lo, la] for r, lo, la in zip(SAMPLE, glon, glat, strict=True)]
    path = write_csv(tmp_path / "census.csv", ["标识码", "名称", "状态", "经度", "纬度"], rows)
    imported(load.run("components", path, city.users["admin"], load.Options(crs="gcj02")))


def test_xlsx_bd09_with_vendor_headers(city, tmp_path):
    blon, blat = to_offset(LON, LAT, "bd09")
    rows = [[r[0], r[1], r[2], float(lo), float(la)] for r, lo, la in zip(SAMPLE, blon, blat, strict=True)]
    path = write_xlsx(tmp_path / "census.xlsx", ["ObjID", "ObjName", "ObjState", "经度", "纬度"], rows)
    imported(load.run("components", path, city.users["admin"], load.Options(crs="bd09")))


def test_mapping_file_overrides_headers(city, tmp_path):
    rows = [[r[0], r[1], r[2], r[3], r[4]] for r in SAMPLE]
    path = write_csv(tmp_path / "census.csv", ["编号X", "叫法", "情况", "东经", "北纬"], rows)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"编号X": "code", "叫法": "name", "情况": "status", "东经": "lon", "北纬": "lat"},
                                  ensure_ascii=False), encoding="utf-8")
    imported(load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4490", mapping=mapping)))


@pytest.mark.parametrize("srid", [4326, 4490])
def test_crs_option_overrides_nothing_when_file_agrees(city, tmp_path, srid):
    path = tmp_path / "census.gpkg"
    frame().to_crs(srid).to_file(path, driver="GPKG", engine="pyogrio")
    imported(load.run("components", path, city.users["admin"]), tolerance=1e-6)


def test_zipped_shapefile_read_in_place_or_extracted(tmp_path):
    """GDAL reads a zip in place (``/vsizip/``) unless a field name needs repair (then an extracted copy):
    GBK names cut at 10 bytes end on a whole character; UTF-8 ones (3 bytes each) do not."""
    from importers.readers import open_file

    gbk = zipped_shapefile(frame(extra={"所在单元网格": ["x"] * 3}), tmp_path, "gbk", encoding="GBK", drop=(".cpg",))
    utf8 = zipped_shapefile(frame(extra={"所在单元网格": ["x"] * 3}), tmp_path, "utf8", encoding="UTF-8")
    for path, in_place, encoding in ((gbk, True, "gb18030"), (utf8, False, "utf-8")):
        source = open_file(path).source
        try:
            assert str(source.path).startswith("/vsizip/") is in_place
            assert source.encoding == encoding
            assert "主管部门" in source.columns or "主管部" in source.columns
            batch = next(source.batches())
            assert batch.column(source.columns[0])[:3] == [s[0] for s in SAMPLE]
        finally:
            source.close()


def test_damaged_shp_member_is_refused_when_read_in_place(city, tmp_path):
    import zipfile

    from importers import errors

    path = zipped_shapefile(frame(), tmp_path, "gbk", encoding="GBK")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("gbk.shp")
    data[info.header_offset + 60:info.header_offset + 80] = b"\xff" * 20  # damage the .shp member's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(errors.UnreadableFile, match="not a readable zip"):
        load.run("components", path, city.users["admin"])


def _numbered(count: int, closed: list[str], fail_at: int | None = None):
    """Batches of one row each, noting on which thread the generator was closed."""
    import threading

    from importers.readers import Batch

    try:
        for i in range(count):
            if i == fail_at:
                raise ValueError(f"batch {i} unreadable")
            yield Batch(np.array([i + 1]), {"n": [i]})
    finally:
        closed.append(threading.current_thread().name)


def test_read_ahead_gives_every_batch_in_order_and_closes_the_reader_on_its_thread():
    from importers.readers import read_ahead

    closed: list[str] = []
    with read_ahead(_numbered(7, closed)) as batches:
        assert [b.rows[0] for b in batches] == list(range(1, 8))
    assert closed == ["gridcity-import-reader"]


def test_read_ahead_raises_the_readers_error_after_the_batches_before_it():
    from importers.readers import read_ahead

    got, closed = [], []
    with pytest.raises(ValueError, match="batch 3 unreadable"), read_ahead(_numbered(7, closed, fail_at=3)) as batches:
        for batch in batches:
            got.append(int(batch.rows[0]))
    assert got == [1, 2, 3] and closed == ["gridcity-import-reader"]


def test_read_ahead_left_early_stops_the_reader_before_returning():
    import threading

    from importers.readers import read_ahead

    closed: list[str] = []
    with pytest.raises(RuntimeError), read_ahead(_numbered(1000, closed), depth=2) as batches:
        assert int(next(batches).rows[0]) == 1
        raise RuntimeError("an error while staging")
    assert closed == ["gridcity-import-reader"]
    assert not any(t.name == "gridcity-import-reader" for t in threading.enumerate())


def test_a_text_column_converted_from_its_distinct_values_is_converted_as_its_cells(tmp_path):
    """``Batch.text_codes`` (Arrow's dictionary of a GIS file's text column) gives what converting
    each cell gives: empty and blank cells, repeats, padding, and the errors of a bad value on each of its rows."""
    from importers.fields import Field, convert, convert_distinct
    from importers.readers import open_file

    names = ["甲", "", None, "  甲 ", "乙乙乙乙", "乙乙乙乙", "丙"]
    gdf = frame([(f"32098201010003{i:02d}", n, "完好", 120.41, 33.12) for i, n in enumerate(names)])
    gdf["名称"] = names
    path = tmp_path / "names.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    field = Field("name", "名称", max_length=3)
    source = open_file(path).source
    try:
        [batch] = list(source.batches())
        rows = [int(r) for r in batch.rows]
        factorized = batch.text_codes("名称")
        assert factorized is not None
        by_values, by_cells = [], []
        converted = convert_distinct(field, *factorized, rows, by_values)
        assert converted == convert(field, batch.column("名称"), rows, by_cells)
        assert converted == ["甲", None, None, "甲", None, None, "丙"]
        assert sorted(e.as_tuple() for e in by_values) == sorted(e.as_tuple() for e in by_cells)
        assert [e.row for e in by_values] == [5, 6]
    finally:
        source.close()
