"""A shapefile's rows are recognised from its raw records (``importers.shapefile``): the matching pass
hashes each .dbf record and .shp shape as stored, the staging pass hashes the same records alongside
GDAL's features, and whatever GDAL might read otherwise falls back to hashing GDAL's values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
from import_files import SAMPLE, frame, zipped_shapefile
from test_importers_readers import imported

from importers import load
from importers.readers import OGRSource, open_file
from layers.models import Component

CODES = [s[0] for s in SAMPLE]


def bare_shapefile(gdf, tmp: Path, encoding: str = "GBK") -> Path:
    folder = tmp / "bare"
    folder.mkdir()
    gdf.to_file(folder / "census.shp", driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    (folder / "census.cpg").unlink()
    return folder / "census.shp"


def passes(path: Path, headers: list[str]) -> tuple[list, list]:
    """(matching pass, staging pass) of ``path``: each a list of (row numbers, digests, cells of ``headers``)."""
    source = open_file(path, digests=True).source
    assert isinstance(source, OGRSource)
    try:
        def read(batches) -> list:
            return [(b.rows.tolist(), b.digests.tolist(), [b.column(h) for h in headers]) for b in batches]
        return read(source.match_batches(headers, size=2)), read(source.batches(size=2))
    finally:
        source.close()


def test_matching_and_staging_passes_hash_the_same_records(tmp_path):
    path = zipped_shapefile(frame(), tmp_path, encoding="GBK", drop=(".cpg",))
    matched, staged = passes(path, ["标识码", "名称"])
    assert matched == staged
    rows = [r for batch in matched for r in batch[0]]
    digests = [d for batch in matched for d in batch[1]]
    assert rows == [1, 2, 3] and len(set(digests)) == 3
    # the key as ASCII, the names decoded from GBK cell by cell
    assert [v for batch in matched for v in batch[2][0]] == CODES
    assert [v for batch in matched for v in batch[2][1]] == [s[1] for s in SAMPLE]


def test_deleted_records_are_skipped_as_gdal_skips_them(city, tmp_path):
    shp = bare_shapefile(frame(), tmp_path)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    header, size = int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")
    data[header + size] = ord("*")  # the second record, deleted
    dbf.write_bytes(bytes(data))
    matched, staged = passes(shp, ["标识码"])
    assert matched == staged
    assert [v for batch in matched for v in batch[2][0]] == [CODES[0], CODES[2]]

    admin = city.users["admin"]
    assert load.run("components", shp, admin).counts.inserted == 2
    again = load.run("components", shp, admin)
    assert (again.recognised, again.counts.unchanged) == (2, 2)
    assert not Component.objects.filter(code=CODES[1]).exists()


def test_shapes_out_of_file_order_are_hashed_from_gdal_values(city, tmp_path):
    """The .shx points the first feature at a copy of its shape after the last one: GDAL follows the
    .shx, so the records are not read in file order and the rows are hashed from GDAL's values."""
    shp = bare_shapefile(frame(), tmp_path)
    shx = bytearray(shp.with_suffix(".shx").read_bytes())
    content = bytearray(shp.read_bytes())
    offset, length = (int.from_bytes(shx[100 + i:104 + i], "big") for i in (0, 4))
    copy = content[offset * 2:offset * 2 + 8 + length * 2]
    shx[100:104] = (len(content) // 2).to_bytes(4, "big")
    content += copy
    content[24:28] = (len(content) // 2).to_bytes(4, "big")  # the file length, in 16-bit words
    shp.write_bytes(bytes(content))
    shp.with_suffix(".shx").write_bytes(bytes(shx))
    assert open_file(shp, digests=True).source.records is None

    admin = city.users["admin"]
    imported(load.run("components", shp, admin))
    again = load.run("components", shp, admin)
    assert (again.recognised, again.counts.unchanged) == (3, 3)


def test_numeric_key_is_matched_in_a_pass_through_gdal(city, tmp_path, monkeypatch):
    """The raw records give no numeric cell as GDAL reads it: the matching pass reads the keys
    through GDAL (with the raw digests alongside)."""
    gdf = frame()
    gdf["标识码"] = np.array(CODES, dtype=np.int64)
    path = zipped_shapefile(gdf, tmp_path)
    source = open_file(path, digests=True).source
    assert isinstance(source, OGRSource) and source.records is not None
    assert not source.records.character_fields([source.columns.index("标识码")])
    source.close()
    admin = city.users["admin"]
    assert load.run("components", path, admin).counts.inserted == 3
    streams = []
    open_arrow = pyogrio.raw.open_arrow
    monkeypatch.setattr(pyogrio.raw, "open_arrow", lambda *a, **k: streams.append(1) or open_arrow(*a, **k))
    again = load.run("components", path, admin)
    assert (again.recognised, again.counts.unchanged) == (3, 3)
    assert len(streams) == 1  # the matching pass; nothing changed, so no other


def test_the_same_records_under_other_field_names_are_other_values(city, tmp_path):
    """Two text fields' names swapped in the .dbf header, every record byte the same: the rows
    are not taken for unchanged (the field descriptors are part of each digest)."""
    shp = bare_shapefile(frame(), tmp_path)
    admin = city.users["admin"]
    imported(load.run("components", shp, admin))
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    names = {bytes(data[at:at + 11]).split(b"\0")[0].decode("gbk"): at for at in range(32, 32 * 6, 32)}
    a, b = names["名称"], names["主管部门"]
    data[a:a + 11], data[b:b + 11] = data[b:b + 11], data[a:a + 11]
    dbf.write_bytes(bytes(data))
    again = load.run("components", shp, admin)
    assert (again.recognised, again.counts.updated) == (0, 3)
    assert Component.objects.get(code=CODES[0]).name == "城管局"


def test_a_key_cut_inside_a_character_is_read_as_gdal_reads_it(city, tmp_path):
    """A stray GBK lead byte after a key, before the field's padding: the file is read (GDAL drops
    the byte), and its re-import, which decodes keys itself, takes the row for another one and
    compares it in full instead of failing. (The name after it starts with a byte that GBK takes
    as a trail byte: the .dbf's text passes the encoding check, which skips the padding.)"""
    gdf = frame()
    gdf.loc[0, "名称"] = "A号井盖"
    shp = bare_shapefile(gdf, tmp_path)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    header = int.from_bytes(data[8:10], "little")
    first = data.index(CODES[0].encode(), header)
    data[first + 16] = 0x81
    dbf.write_bytes(bytes(data))
    admin = city.users["admin"]
    first = load.run("components", shp, admin)
    assert (first.counts.inserted, first.rejected) == (3, 0)
    assert Component.objects.filter(code=CODES[0], name="A号井盖").exists()
    again = load.run("components", shp, admin)
    assert (again.recognised, again.counts.unchanged, again.rejected) == (2, 3, 0)


@pytest.mark.parametrize("zipped", [True, False])
def test_unchanged_reimport_reads_no_feature_through_gdal(city, tmp_path, monkeypatch, zipped):
    path = (zipped_shapefile(frame(), tmp_path, encoding="GBK", drop=(".cpg",)) if zipped
            else bare_shapefile(frame(), tmp_path))
    admin = city.users["admin"]
    imported(load.run("components", path, admin))

    def no_gdal_stream(*args, **kwargs):
        raise AssertionError("GDAL read the features of an unchanged shapefile")

    monkeypatch.setattr(pyogrio.raw, "open_arrow", no_gdal_stream)
    again = load.run("components", path, admin)
    assert (again.recognised, again.counts.unchanged, again.counts.updated) == (3, 3, 0)


def test_the_same_bytes_read_in_another_encoding_are_another_import(city, tmp_path):
    """Raw records do not change with the encoding the text is read in, the values may: the encoding is
    part of every digest, so a re-import read in another encoding is not taken for unchanged."""
    gdf = frame()[["标识码", "名称", "geometry"]].rename(columns={"标识码": "objid", "名称": "objname"})
    path = zipped_shapefile(gdf, tmp_path, encoding="UTF-8", drop=(".cpg",))  # field names in ASCII
    admin = city.users["admin"]
    assert load.run("components", path, admin, load.Options(encoding="utf-8")).counts.inserted == 3
    assert load.run("components", path, admin, load.Options(encoding="utf-8")).recognised == 3
    other = load.run("components", path, admin, load.Options(encoding="iso-8859-1"))
    assert other.recognised == 0 and other.rejected == 0


def test_raw_records_only_for_kinds_that_remember_digests(tmp_path):
    """Facilities and other kinds without digests read a shapefile through GDAL alone."""
    path = zipped_shapefile(frame(), tmp_path)
    plain, hashed = open_file(path).source, open_file(path, digests=True).source
    try:
        assert isinstance(plain, OGRSource) and plain.records is None
        assert all(batch.digests is None for batch in plain.batches())
        assert isinstance(hashed, OGRSource) and hashed.records is not None
        assert [len(batch.digests) for batch in hashed.batches()] == [len(frame())]
    finally:
        plain.close()
        hashed.close()
