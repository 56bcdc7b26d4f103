"""A shapefile's records as they lie in its files, for recognising unchanged rows without GDAL.

A re-survey's shapefile is mostly the rows already imported, and GDAL decodes every text cell of
every record (GBK → UTF-8) before a digest of the row could be taken — for a census that alone
costs most of what ogr2ogr takes to load the file. Here each record is hashed as stored: its
``.dbf`` record and its ``.shp`` shape, bytes as they are, together with the ``.dbf``'s field
descriptors (the same bytes under other field names or types are other values), and only the few
character fields the match needs (the key, the kind's recheck fields) are decoded.

Records are numbered as GDAL numbers the features (deleted ``.dbf`` records are skipped), so
the digest of row N is the same whether it comes from here alone (the matching pass) or read
alongside GDAL's stream (the staging pass). :meth:`ShapefileRecords.open` declines a file whose
layout GDAL might read otherwise (shape and attribute counts differ, shapes out of order);
its rows are then hashed from GDAL's values instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

from .errors import UnreadableFile

# Opens the bytes of a file, or of a member of a zip archive read in place (a shapefile's parts,
# the text whose encoding is checked).
Opener = Callable[[], IO[bytes]]
_SHP_HEADER = 100
MIX = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: spreads one hash before the next is mixed in


@dataclass(frozen=True)
class DbfField:
    """One field of the .dbf header: its type letter and where its bytes lie in a record."""

    type: str
    offset: int
    length: int


@dataclass
class Records:
    """Consecutive records that GDAL yields as features: their digests and decoded character fields."""

    digests: np.ndarray
    fids: np.ndarray  # the records' 0-based positions in the .dbf: GDAL's feature ids
    cells: dict[int, list[str | None]]

    def __len__(self) -> int:
        return len(self.digests)

    def split(self, n: int) -> tuple[Records, Records]:
        return (Records(self.digests[:n], self.fids[:n], {i: c[:n] for i, c in self.cells.items()}),
                Records(self.digests[n:], self.fids[n:], {i: c[n:] for i, c in self.cells.items()}))

    def then(self, other: Records) -> Records:
        return Records(np.concatenate([self.digests, other.digests]), np.concatenate([self.fids, other.fids]),
                       {i: c + other.cells[i] for i, c in self.cells.items()})


class ShapefileRecords:
    """The records of one shapefile: :meth:`stream` reads them in order, each time from the start."""

    def __init__(self, name: str, parts: dict[str, Opener], descriptors: bytes, encoding: str):
        self.name, self.parts, self.encoding = name, parts, encoding
        self.layout = np.uint64(int.from_bytes(hashlib.blake2b(descriptors[32:], digest_size=8).digest(), "little"))
        self.count = int.from_bytes(descriptors[4:8], "little")
        self.header_length = int.from_bytes(descriptors[8:10], "little")
        self.record_length = int.from_bytes(descriptors[10:12], "little")
        self.fields: list[DbfField] = []
        offset = 1  # byte 0 of a record is its deletion flag
        for start in range(32, len(descriptors) - 31, 32):
            if descriptors[start] == 0x0D:
                break
            length = descriptors[start + 16]
            self.fields.append(DbfField(chr(descriptors[start + 11]), offset, length))
            offset += length

    @classmethod
    def open(cls, name: str, parts: dict[str, Opener], descriptors: bytes, encoding: str) -> ShapefileRecords | None:
        """The records (``parts`` opens the .dbf, .shp and .shx by extension), or ``None`` when GDAL
        might pair shapes and attributes otherwise than in file order: the .shx does not list one
        shape per .dbf record, each right after the last."""
        records = cls(name, parts, descriptors, encoding)
        expected = 50  # in 16-bit words, as the .shx counts: the first shape follows the 100-byte header
        listed = 0
        with parts[".shx"]() as fh:
            fh.read(_SHP_HEADER)
            while chunk := fh.read(8 * 65536):
                index = np.frombuffer(chunk[:len(chunk) // 8 * 8], dtype=">i4").reshape(-1, 2).astype(np.int64)
                follows = np.concatenate([[expected], index[:-1, 0] + 4 + index[:-1, 1]])
                if not np.array_equal(index[:, 0], follows):
                    return None
                expected = int(index[-1, 0] + 4 + index[-1, 1])
                listed += len(index)
        offset = 1 + sum(f.length for f in records.fields)
        return records if listed == records.count and offset == records.record_length else None

    def character_fields(self, positions: list[int]) -> bool:
        """Whether the fields at ``positions`` are all text (type C): those decode as GDAL reads them."""
        return all(self.fields[p].type == "C" for p in positions)

    def stream(self, fields: list[int] | None = None) -> RecordStream:
        """A pass over the records; ``fields``: positions of the character fields to decode."""
        return RecordStream(self, fields or [])


class RecordStream:
    """One pass over a shapefile's records, taken a number of features at a time."""

    def __init__(self, records: ShapefileRecords, fields: list[int]):
        self.records, self.fields = records, fields
        with ExitStack() as opened:  # each part closed again if a later one fails to open
            self._dbf, self._shp, self._shx = (opened.enter_context(records.parts[ext]())
                                               for ext in (".dbf", ".shp", ".shx"))
            opened.pop_all()
        self._dbf.read(records.header_length)
        self._shp.read(_SHP_HEADER)
        self._shx.read(_SHP_HEADER)
        self._left = records.count
        self._pending = Records(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), {i: [] for i in fields})

    def take(self, n: int) -> Records:
        """The next ``n`` features' records (fewer at the end of the file)."""
        while len(self._pending) < n and self._left:
            self._pending = self._pending.then(self._read(min(n - len(self._pending), self._left)))
        taken, self._pending = self._pending.split(n)
        return taken

    def _read(self, k: int) -> Records:
        r = self.records
        size = r.record_length
        dbf = self._dbf.read(k * size)
        index = np.frombuffer(self._shx.read(k * 8), dtype=">i4").reshape(-1, 2).astype(np.int64)
        if len(dbf) < k * size or len(index) < k:
            raise UnreadableFile(f"{r.name}: the .dbf or .shx ends before record {r.count - self._left + k}",
                                 field="file")
        lengths = 8 + 2 * index[:, 1]
        shp = self._shp.read(int(lengths.sum()))
        if len(shp) < lengths.sum():
            raise UnreadableFile(f"{r.name}: the .shp ends before record {r.count - self._left + k}", field="file")
        first = r.count - self._left
        self._left -= k
        ends = np.cumsum(lengths)
        starts = ends - lengths + 8  # a shape's content, after its record header (number and length)
        rows = np.frombuffer(dbf, dtype=np.uint8).reshape(k, size)
        kept = np.flatnonzero(rows[:, 0] != ord("*"))
        records = [dbf[i * size:(i + 1) * size] for i in kept]
        shapes = [shp[starts[i]:ends[i]] for i in kept]
        digests = (pd.util.hash_array(np.array(records, dtype=object), categorize=False) ^ r.layout) * MIX
        digests = (digests ^ pd.util.hash_array(np.array(shapes, dtype=object), categorize=False)) * MIX
        cells = {}
        for position in self.fields:
            f = r.fields[position]
            block = np.ascontiguousarray(rows[kept, f.offset:f.offset + f.length])
            raw = block.view(f"S{f.length}").ravel()
            # Codes are ASCII: decoded by numpy at once; other text cell by cell with the file's encoding
            # (a cell cut inside a character reads otherwise than GDAL's: its row just looks changed).
            values = (raw.astype(f"U{f.length}").tolist() if block.max(initial=0) < 0x80
                      else [v.decode(r.encoding, errors="replace") for v in raw.tolist()])
            cells[position] = [v.strip() or None for v in values]
        return Records(digests, first + kept, cells)

    def close(self) -> None:
        for fh in (self._dbf, self._shp, self._shx):
            fh.close()
