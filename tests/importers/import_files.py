"""Writing import samples with real drivers: GDAL (through geopandas/pyogrio), csv and openpyxl."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from importers import chinacoords

# 标识码, 名称, 状态, lon, lat (EPSG:4490) inside the fixture city (tests/conftest.py)
SAMPLE = [
    ("3209820101000101", "上水井盖甲", "完好", 120.41, 33.12),   # grid 320982001001001
    ("3209820102000102", "污水井盖乙", "破损", 120.46, 33.28),   # grid 320982001002002
    ("3209820201000103", "停车场丙", "完好", 120.58, 33.14),     # grid 320982002001001
]
EXPECTED_GRID = {"3209820101000101": "320982001001001", "3209820102000102": "320982001002002",
                 "3209820201000103": "320982002001001"}


def frame(rows=SAMPLE, extra: dict | None = None) -> gpd.GeoDataFrame:
    data = {"标识码": [r[0] for r in rows], "名称": [r[1] for r in rows], "状态": [r[2] for r in rows],
            "主管部门": ["城管局"] * len(rows), **(extra or {})}
    return gpd.GeoDataFrame(data, geometry=shapely.points([(r[3], r[4]) for r in rows]), crs="EPSG:4490")


def project(lon, lat, srid: int) -> tuple[np.ndarray, np.ndarray]:
    """(easting, northing) of EPSG:4490 lon/lat in ``srid``."""
    return pyproj.Transformer.from_crs(4490, srid, always_xy=True).transform(np.asarray(lon), np.asarray(lat))


def to_offset(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    if system == "gcj02":
        return chinacoords.wgs84_to_gcj02(np.asarray(lon), np.asarray(lat))
    return chinacoords.wgs84_to_bd09(np.asarray(lon), np.asarray(lat))


def zipped_shapefile(gdf: gpd.GeoDataFrame, tmp: Path, name: str = "census", *, encoding: str = "UTF-8",
                     drop: tuple[str, ...] = ()) -> Path:
    """``gdf`` as a zipped shapefile; ``drop`` leaves parts out (".cpg", ".prj", ".dbf" …)."""
    folder = tmp / f"{name}_shp"
    folder.mkdir()
    gdf.to_file(folder / f"{name}.shp", driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    out = tmp / f"{name}.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for part in sorted(folder.iterdir()):
            if part.suffix.lower() not in drop:
                archive.write(part, part.name)
    return out


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(client, path: Path, **data):
    """``POST /api/imports/`` with ``path`` as the multipart file and ``data`` as the other fields."""
    with path.open("rb") as fh:
        return client.post("/api/imports/", {"file": fh, **data}, format="multipart")
