"""Bad files are refused with a clear message and nothing half-written."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import shapely
from import_files import SAMPLE, frame, project, write_csv, zipped_shapefile

from importers import errors, load
from layers.errors import BadParameter
from layers.models import Component


def refused(city, path, exc, *, match: str, **options):
    before = Component.objects.count()
    with pytest.raises(exc, match=match):
        load.run("components", path, city.users["admin"], load.Options(**options))
    assert Component.objects.count() == before


def test_corrupt_zip(city, tmp_path):
    path = tmp_path / "census.zip"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    refused(city, path, errors.UnreadableFile, match="not a readable zip")


@pytest.mark.parametrize("part", [".dbf", ".shx"])
def test_missing_shapefile_part(city, tmp_path, part):
    path = zipped_shapefile(frame(), tmp_path, drop=(part,))
    refused(city, path, errors.UnreadableFile, match=f"lacks census{part}")


def test_missing_prj_needs_crs(city, tmp_path):
    path = zipped_shapefile(frame(), tmp_path, drop=(".prj",))
    refused(city, path, errors.MissingCRS, match="--crs")
    assert load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4490")).counts.inserted == 3


def test_csv_without_crs_is_refused(city, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["标识码", "经度", "纬度"], [[r[0], r[3], r[4]] for r in SAMPLE])
    refused(city, path, errors.MissingCRS, match="does not say its CRS")


def test_empty_files(city, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused(city, empty, errors.UnreadableFile, match="empty")
    header_only = write_csv(tmp_path / "h.csv", ["标识码", "经度", "纬度"], [])
    refused(city, header_only, errors.UnreadableFile, match="no rows", crs="EPSG:4490")
    gpkg = tmp_path / "none.gpkg"
    frame().iloc[:0].to_file(gpkg, driver="GPKG", engine="pyogrio")
    refused(city, gpkg, errors.UnreadableFile, match="no features")


def test_geopackage_table_without_geometry(city, tmp_path):
    """An attribute table, even one with coordinate columns, is refused by name: tables come as CSV or XLSX."""
    import pandas as pd
    import pyogrio

    gpkg = tmp_path / "attributes.gpkg"
    table = pd.DataFrame({"标识码": [r[0] for r in SAMPLE], "经度": [r[3] for r in SAMPLE],
                          "纬度": [r[4] for r in SAMPLE]})
    pyogrio.write_dataframe(table, gpkg, driver="GPKG")
    assert pyogrio.read_info(gpkg)["geometry_type"] is None
    refused(city, gpkg, errors.UnreadableFile, match="no geometry column; import a table of coordinates as CSV",
            crs="EPSG:4490")


def test_unknown_format(city, tmp_path):
    path = tmp_path / "census.dwg"
    path.write_bytes(b"AC1032")
    refused(city, path, errors.UnreadableFile, match="unknown format")


def test_wrong_encoding_named(city, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", ["标识码", "名称", "经度", "纬度"],
                     [[r[0], r[1], r[3], r[4]] for r in SAMPLE], encoding="gbk")
    refused(city, path, errors.UnknownEncoding, match="not valid utf-8.*try --encoding gb18030",
            crs="EPSG:4490", encoding="utf-8")


def test_swapped_lat_lon_names_first_row(city, tmp_path):
    rows = [[r[0], r[3], r[4]] for r in SAMPLE]
    rows[1] = [rows[1][0], rows[1][2], rows[1][1]]
    path = write_csv(tmp_path / "c.csv", ["标识码", "经度", "纬度"], rows)
    refused(city, path, errors.CoordinateRange, match="row 3: .*look swapped", crs="EPSG:4490")


def test_projected_numbers_under_geographic_crs(city, tmp_path):
    east, north = project([r[3] for r in SAMPLE], [r[4] for r in SAMPLE], 4549)
    gdf = frame().set_geometry(shapely.points(np.column_stack([east, north])), crs="EPSG:4549")
    path = zipped_shapefile(gdf, tmp_path, drop=(".prj",))
    refused(city, path, errors.CoordinateRange, match="row 1: .*projected metres", crs="EPSG:4490")


def test_wrong_zone_prefix(city, tmp_path):
    east, north = project([r[3] for r in SAMPLE], [r[4] for r in SAMPLE], 4528)  # zone 40
    rows = [[r[0], n, e] for r, e, n in zip(SAMPLE, east, north, strict=True)]
    path = write_csv(tmp_path / "c.csv", ["标识码", "X坐标", "Y坐标"], rows)
    refused(city, path, errors.CoordinateRange, match="carries zone 40 but EPSG:4527 is zone 39", crs="EPSG:4527")
    # the unprefixed code of the same zone (CM 120°E) takes the prefixed eastings
    assert load.run("components", path, city.users["admin"], load.Options(crs="EPSG:4549")).counts.inserted == 3


def test_unsupported_crs(city, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["标识码", "经度", "纬度"], [[r[0], r[3], r[4]] for r in SAMPLE])
    refused(city, path, BadParameter, match="unsupported CRS", crs="EPSG:3857")


def test_mixed_geometry_types_for_a_point_kind_are_rejected_per_row(city, tmp_path):
    from importers.kinds.base import Kind

    kind = Kind.__new__(Kind)
    kind.geometry, kind.title = "point", "door plates"
    errs: list = []
    geoms = np.array([shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)]), shapely.MultiPoint([(2, 2)])])
    out = kind.check_geometries(geoms, np.array([1, 2, 3]), errs)
    assert [(e.row, e.rule) for e in errs] == [(2, "geometry_type")]
    assert out[1] is None and out[2].geom_type == "Point"


def test_missing_code_column(city, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["名称", "经度", "纬度"], [[r[1], r[3], r[4]] for r in SAMPLE])
    refused(city, path, errors.BadMapping, match="no 标识码 column", crs="EPSG:4490")


def test_truncated_zip_member(city, tmp_path):
    path = zipped_shapefile(frame(), tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("census.dbf")
    data[info.header_offset + 40:info.header_offset + 60] = b"\xff" * 20  # damage the member's bytes
    path.write_bytes(bytes(data))
    refused(city, path, errors.UnreadableFile, match="zip")


def test_a_csv_with_a_stray_lead_byte_before_a_space_is_refused(city, tmp_path):
    """Spaces are skipped only when checking a .dbf's encoding (its padding): in a CSV a GBK lead
    byte followed by a space is no text, in any encoding tried."""
    path = tmp_path / "census.csv"
    path.write_bytes("标识码,名称,经度,纬度\n".encode("gbk") + b"3209820101000101,AB\x81 C,120.41,33.12\n")
    refused(city, path, errors.UnknownEncoding, match="neither UTF-8 nor GBK", crs="EPSG:4490")
