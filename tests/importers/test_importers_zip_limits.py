"""Zip archives within limits (importers/archives.py): a zipped shapefile or an XLSX whose members would
inflate past ``GRIDCITY_ZIP_MAX_BYTES`` or beyond ``GRIDCITY_ZIP_MAX_RATIO`` is refused, naming the
member, before a byte of it is inflated — the bombs are built here, small on disk, with the limits
lowered — and a member whose data go on past its declared size never yields more than that."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from import_files import SAMPLE, frame, zipped_shapefile

from importers import archives, readers
from importers.errors import ArchiveTooLarge, UnreadableFile
from layers.models import Component

MiB = 1024 * 1024


def bomb(tmp_path: Path, zeros: int, name: str = "census") -> Path:
    """A real zipped shapefile whose .dbf member goes on with ``zeros`` zero bytes (deflated ~1000 : 1)."""
    real = zipped_shapefile(frame(), tmp_path, name)
    out = tmp_path / f"{name}-bomb.zip"
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename.endswith(".dbf"):
                with archive.open(member.filename, "w", force_zip64=True) as fh:
                    fh.write(data)
                    for _ in range(zeros // MiB):
                        fh.write(bytes(MiB))
            else:
                archive.writestr(member.filename, data)
    return out


@pytest.fixture
def inflated(monkeypatch) -> list[int]:
    """The bytes every zip member read in this test yielded, in all."""
    counted = [0]
    read, read1 = zipfile.ZipExtFile.read, zipfile.ZipExtFile.read1

    def counting(method):
        def wrapper(self, n=-1):
            data = method(self, n)
            counted[0] += len(data)
            return data
        return wrapper

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting(read))
    monkeypatch.setattr(zipfile.ZipExtFile, "read1", counting(read1))
    return counted


def test_a_member_past_the_inflated_limit_is_refused_before_it_is_read(tmp_path, settings, inflated):
    settings.GRIDCITY_ZIP_MAX_BYTES = 8 * MiB
    settings.GRIDCITY_ZIP_MAX_RATIO = 1e9  # the size limit alone
    path = bomb(tmp_path, 32 * MiB)
    assert path.stat().st_size < MiB  # small on disk
    inflated[0] = 0
    with pytest.raises(ArchiveTooLarge) as refused:
        readers.open_file(path)
    assert inflated == [0]  # refused from the declared sizes: nothing was inflated
    error = refused.value
    assert (error.status, error.rule, error.field) == (413, "archive_size", "file")
    assert "census-bomb.zip: member census.dbf" in error.message and "8.0 MiB" in error.message


def test_a_member_beyond_the_compression_ratio_is_refused_before_it_is_read(tmp_path, settings, inflated):
    settings.GRIDCITY_ZIP_MAX_RATIO = 100  # the size limit stays 2 GiB
    path = bomb(tmp_path, archives.RATIO_FROM + 4 * MiB)
    inflated[0] = 0
    with pytest.raises(ArchiveTooLarge) as refused:
        readers.open_file(path)
    assert inflated == [0]
    assert "member census.dbf inflates" in refused.value.message
    assert "at most 100 times" in refused.value.message


def test_an_archive_within_the_limits_is_read(tmp_path, settings, inflated):
    settings.GRIDCITY_ZIP_MAX_BYTES = 8 * MiB
    path = bomb(tmp_path, 2 * MiB)  # 2 MiB of zeros after the records: a well-compressed, small member
    inflated[0] = 0
    opened = readers.open_file(path)
    try:
        assert opened.fmt == "shapefile" and opened.source.columns
    finally:
        opened.source.close()
    assert 2 * MiB < inflated[0] < 8 * MiB * 4  # each part read once or a few times, never past its size


def test_a_member_whose_data_go_past_its_declared_size_yields_no_more(tmp_path, inflated):
    """A lying header (declared 1 KiB, holding 32 MiB): zipfile stops at the declared size and the CRC
    check fails; the file is refused as damaged, having inflated about 1 KiB of the member."""
    path = bomb(tmp_path, 32 * MiB)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        dbf = next(m for m in archive.infolist() if m.filename.endswith(".dbf"))
    central = data.index(b"PK\x01\x02")
    while True:  # the .dbf's central directory entry
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_length].endswith(b".dbf"):
            break
        central = data.index(b"PK\x01\x02", central + 4)
    assert struct.unpack_from("<I", data, central + 24)[0] == dbf.file_size  # the uncompressed size
    struct.pack_into("<I", data, central + 24, 1024)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(dbf.filename).file_size == 1024
    inflated[0] = 0
    with pytest.raises(UnreadableFile) as refused:
        readers.open_file(path)
    assert refused.value.rule in ("readable_zip", "encoding") or "readable" in refused.value.message
    assert inflated[0] < MiB


def test_an_xlsx_bomb_is_refused(tmp_path, settings, inflated):
    settings.GRIDCITY_ZIP_MAX_BYTES = 8 * MiB
    path = tmp_path / "census.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["标识码", "名称"])
    book.active.append(["1", "井盖"])
    book.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/media/zeros.bin", "w",
                                                                                   force_zip64=True) as fh:
        for _ in range(16):
            fh.write(bytes(MiB))
    inflated[0] = 0
    with pytest.raises(ArchiveTooLarge) as refused:
        readers.open_file(path)
    assert "member xl/media/zeros.bin" in refused.value.message
    assert inflated == [0]


def test_a_zip_bomb_upload_fails_its_job_in_the_worker(city, tmp_path, settings, imported, uploads):
    settings.GRIDCITY_ZIP_MAX_BYTES = 8 * MiB
    before = set(Component.objects.values_list("code", "updated_at"))
    detail = imported(city.clients["admin"], bomb(tmp_path, 32 * MiB), kind="components")
    assert detail["status"] == "failed"
    error = detail["failure"]["errors"][0]
    assert (error["field"], error["rule"]) == ("file", "archive_size")
    assert "member census.dbf" in error["message"]
    assert set(Component.objects.values_list("code", "updated_at")) == before
    assert not Component.objects.filter(code__in=[r[0] for r in SAMPLE]).exists()
    assert list(uploads.iterdir()) == []
