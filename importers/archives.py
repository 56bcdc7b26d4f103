"""Zip archives (a zipped shapefile, an XLSX workbook) read within limits.

An archive is refused before any member is read when its members would inflate to more than
``GRIDCITY_ZIP_MAX_BYTES`` in all, or one of them (past ``RATIO_FROM`` bytes) has a compression ratio
above ``GRIDCITY_ZIP_MAX_RATIO``. The sizes checked are the ones the archive declares; a member never
yields more than its declared size (``zipfile`` stops there, and a member whose data go on fails its
CRC check), so what is then read is bounded by what was checked. Members are copied in chunks.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from .errors import ArchiveTooLarge

CHUNK = 1 << 20
# Small members may compress far better than data (a .cpg, a .dbf of blank fields) and hurt nobody.
RATIO_FROM = 16 * CHUNK


def _size(n: int) -> str:
    return f"{n / 1024**2:,.1f} MiB" if n < 1024**3 else f"{n / 1024**3:,.2f} GiB"


def check(archive: zipfile.ZipFile, name: str, members: Iterable[zipfile.ZipInfo] | None = None) -> None:
    """Refuse ``archive`` (the file ``name``) if ``members`` (default: all) would inflate beyond the limits."""
    limit, ratio_limit = settings.GRIDCITY_ZIP_MAX_BYTES, settings.GRIDCITY_ZIP_MAX_RATIO
    total = 0
    for member in archive.infolist() if members is None else members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM and ratio > ratio_limit:
            raise ArchiveTooLarge(
                f"{name}: member {member.filename} inflates {ratio:,.0f} times ({_size(member.compress_size)} to "
                f"{_size(member.file_size)}); at most {ratio_limit:g} times is accepted", field="file")
        if total > limit:
            raise ArchiveTooLarge(
                f"{name}: member {member.filename} takes the inflated size past the limit of {_size(limit)}; "
                "split the file or ask for a higher GRIDCITY_ZIP_MAX_BYTES", field="file")


def extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    """Copy ``member`` to ``target`` chunk by chunk (its CRC is checked at its end)."""
    with archive.open(member) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
