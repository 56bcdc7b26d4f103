"""Row digests: recognising a re-imported row that is unchanged without converting or validating it.

A re-survey brings back mostly the rows already stored. Each row of a file is hashed as read
(64-bit, vectorised: the raw cells of every mapped column and the geometry in the file's CRS —
a shapefile's record and shape as stored, ``importers.shapefile`` — seeded with the kind, the CRS,
the text encoding and the column mapping), and the digest is remembered per stored row in
``importers_rowdigest`` together with the row's ``updated_at`` at that moment.

On the next import a row whose digest equals the remembered one, for a stored row not changed
since (same ``updated_at``: every write path of the platform bumps it — API edits, imports,
retiring; a hand-written SQL UPDATE must too), would convert, validate and upsert to exactly
what is stored. It is set aside in ``import_same`` (row number, key and the kind's
:attr:`~importers.kinds.base.Kind.recheck` fields) and skips the per-row work; the rules that
depend on more than the row itself run on it all the same (a key repeated in the file, the
importing user's jurisdiction over the stored row, the kind's
:meth:`~importers.kinds.base.Kind.check_unchanged`), so the counts and the error report are
those of a full import.

Kinds opt in (:attr:`~importers.kinds.base.Kind.digests`) when what they store is a function of
the row and the stored row only; components do (the big layer). Kinds deriving values from other
layers (door plates' streets) or replacing by area (zones) must take the full path, as does an
import with ``--qa`` (its checks read every staged geometry).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import Cursor, sql

from .fields import convert, text
from .kinds.base import ERRORS, SAME, SEEN, Kind
from .readers import Batch
from .shapefile import MIX

# The table of the remembered digests (``importers.models.RowDigest``).
TABLE = "importers_rowdigest"
_TABLE = sql.Identifier(TABLE)
# Bump when what is hashed changes: older digests then simply no longer match.
VERSION = 3
# The most rows left after matching that are read back by feature id instead of in a second pass over
# the file (and at most a quarter of the file: a read by id costs about three times a row of a pass).
BY_ID_MAX = 100_000


def seed(kind: Kind, crs_name: str, encoding: str | None, mapped: dict[str, str], extra: list[str]) -> int:
    """What, besides the cells, decides the stored row: the kind, the CRS, the text encoding (a
    shapefile's rows are hashed as stored) and which header feeds which field."""
    words = [str(VERSION), kind.name, crs_name, encoding or "", *(f"{f}={h}" for f, h in sorted(mapped.items())),
             *sorted(extra)]
    return int.from_bytes(hashlib.blake2b("\x1f".join(words).encode(), digest_size=8).digest(), "little")


def headers(mapped: dict[str, str], extra: list[str]) -> list[str]:
    """The columns hashed, in a fixed order: every mapped header and every extra one the kind reads."""
    return sorted({*mapped.values(), *extra})


def row_digests(batch: Batch, columns: list[str], start: int) -> np.ndarray:
    """One signed 64-bit digest per row of ``batch`` (``start`` from :func:`seed`).

    A row the reader hashed as stored (a shapefile's record, every field and the shape) keeps that
    digest. Any other GIS file's row is joined into one byte string per row in Arrow (cells as
    text, the geometry as the file's WKB) and that is hashed; a table's cells are hashed column by
    column. Either way a file read twice gives the same digests, which is all they are compared for.
    """
    if batch.digests is not None:
        return ((batch.digests ^ np.uint64(start)) * MIX).view(np.int64)
    if batch.arrow is not None:
        parts = [_as_bytes(batch.arrow[c]) for c in columns]
        if batch.wkb is not None:
            parts.append(_as_bytes(batch.wkb))
        joined = pc.binary_join_element_wise(*parts, pa.scalar(b"\x1f", pa.large_binary()),
                                             null_handling="replace", null_replacement=b"\x00")
        digest = pd.util.hash_array(joined.to_numpy(zero_copy_only=False), categorize=False)
        return ((digest ^ np.uint64(start)) * MIX).view(np.int64)
    digest = np.full(len(batch.rows), np.uint64(start), dtype=np.uint64)
    for c in columns:
        digest = (digest ^ pd.util.hash_array(np.asarray(batch.column(c), dtype=object), categorize=False)) * MIX
    return digest.view(np.int64)


def _as_bytes(column: pa.Array) -> pa.Array:
    if not any(test(column.type) for test in (pa.types.is_binary, pa.types.is_large_binary, pa.types.is_string,
                                               pa.types.is_large_string)):
        try:
            column = pc.cast(column, pa.large_string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # e.g. a GeoJSON property holding lists
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.large_string())
    return pc.cast(column, pa.large_binary())


class Matcher:
    """Finds the rows of a file unchanged since their last import, before any is converted.

    :meth:`collect` takes every batch of a first pass over the file: each row's number, key,
    digest and :attr:`~Kind.recheck` cells go to the temporary ``import_seen`` by binary COPY.
    :meth:`resolve` then moves the rows whose digest matches into ``import_same`` (with the stored
    row's :attr:`~Kind.same_stored` columns) in one statement. The rows left are staged with their
    digests (:meth:`digests`): read back by feature id when they are few and the reader gave ids
    (:attr:`changed`), else by a second pass that skips the unchanged ones (:meth:`unchanged_in`).
    """

    def __init__(self, cur: Cursor, kind: Kind, mapped: dict[str, str], extra: list[str], crs_name: str,
                 encoding: str | None):
        self.cur, self.kind, self.mapped = cur, kind, mapped
        # Set by worth_matching: no digest of the layer is stored yet.
        self.first = False
        # Set by resolve: (feature ids ascending, row numbers) of the rows left, when they are read by id.
        self.changed: tuple[np.ndarray, np.ndarray] | None = None
        self._known: tuple[np.ndarray, np.ndarray] | None = None  # their (row numbers ascending, digests)
        self.recheck = [f for f in kind.all_fields if f.name in kind.recheck]
        self.columns = headers(mapped, extra)
        self.start = seed(kind, crs_name, encoding, mapped, extra)
        # The headers :meth:`collect` reads: the key's and the recheck fields'.
        self.needs = [mapped[n] for n in (kind.key, *(f.name for f in self.recheck)) if n in mapped]
        self.seen = {"row_no": "integer", kind.key: "text", "import_digest": "bigint", "fid": "bigint",
                     **{f.name: f.sql_type for f in self.recheck}}
        same = {**{c: t for c, t in self.seen.items() if c not in ("import_digest", "fid")},
                **kind.same_stored_types()}
        for table, columns in ((SEEN, self.seen), (SAME, same)):
            cur.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                                                          for c, t in columns.items())))

    def worth_matching(self) -> bool:
        """Whether any digest is remembered for the layer (if not, a first pass would find nothing)."""
        self.cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE layer = %s)").format(_TABLE),
                         [self.kind.layer.name])
        (found,) = self.cur.fetchone() or (False,)
        self.first = not found
        return bool(found)

    def knows_any(self) -> bool:
        """Whether any key collected so far has a remembered digest: a file whose first batch has
        none is taken for a first import (say of another district) and read once, not twice."""
        self.cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} f JOIN {} d ON d.layer = %s "
                                 "AND d.key = f.{})").format(sql.Identifier(SEEN), _TABLE,
                                                             sql.Identifier(self.kind.key)),
                         [self.kind.layer.name])
        (found,) = self.cur.fetchone() or (False,)
        return bool(found)

    def digests(self, batch: Batch) -> np.ndarray:
        """The digests of a batch to stage: those of the matching pass for rows read back by id."""
        if self._known is not None:
            rows, digests = self._known
            return digests[np.searchsorted(rows, batch.rows)]
        return row_digests(batch, self.columns, self.start)

    def collect(self, batch: Batch) -> None:
        rows = batch.rows.tolist()
        # Converted again here only to be compared: a matched row's cells converted without error
        # when it was stored; for the others the second pass converts and reports.
        values = [rows, [text(v) for v in batch.column(self.mapped[self.kind.key])], self.digests(batch).tolist(),
                  batch.fids.tolist() if batch.fids is not None else [None] * len(rows),
                  *(convert(f, batch.column(self.mapped[f.name]), rows, []) if f.name in self.mapped
                    else [None] * len(rows) for f in self.recheck)]
        with self.cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(SEEN), sql.SQL(", ").join(map(sql.Identifier, self.seen)))) as copy:
            copy.set_types(list(self.seen.values()))
            for record in zip(*values, strict=True):
                copy.write_row(record)

    def resolve(self, rows: int) -> int:
        """Move the unchanged rows of the ``rows`` read to ``import_same``; how many they are."""
        kind, layer, cur = self.kind, self.kind.layer, self.cur
        kept = [c for c in self.seen if c not in ("import_digest", "fid")]
        stored = kind.same_stored
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(SEEN)))
        # The file's keys joined to their digests and stored rows, then filtered: the joins on the key
        # alone are estimated right (with the digest among the join's conditions the planner expects
        # one row and probes the layer's index once per row of a census).
        cur.execute(sql.SQL(
            "INSERT INTO {same} ({cols}) SELECT {cols} FROM (SELECT {fcols}, d.digest = f.import_digest "
            "AND t.updated_at = d.stored_at AS unchanged FROM {seen} f "
            "JOIN {digests} d ON d.layer = %s AND d.key = f.{key} "
            "JOIN {table} t ON t.{tkey} = f.{key} OFFSET 0) m WHERE m.unchanged").format(
            same=sql.Identifier(SAME), seen=sql.Identifier(SEEN), digests=_TABLE, table=sql.Identifier(layer.table),
            key=sql.Identifier(kind.key), tkey=sql.Identifier(layer.column(kind.key)),
            cols=sql.SQL(", ").join(map(sql.Identifier, [*kept, *stored])),
            fcols=sql.SQL(", ").join([*(sql.SQL("f.{}").format(sql.Identifier(c)) for c in kept),
                                      *(sql.SQL("t.{} AS {}").format(sql.Identifier(t), sql.Identifier(c))
                                        for c, t in stored.items())])),
            [layer.name])
        moved = int(cur.rowcount)
        left = rows - moved
        if 0 < left <= min(BY_ID_MAX, rows // 4):
            cur.execute(sql.SQL("SELECT f.fid, f.row_no, f.import_digest FROM {} f WHERE NOT EXISTS "
                                "(SELECT 1 FROM {} s WHERE s.row_no = f.row_no) ORDER BY f.fid").format(
                sql.Identifier(SEEN), sql.Identifier(SAME)))
            found = cur.fetchall()
            if all(fid is not None for fid, _, _ in found):  # None: a table, whose rows have no ids
                fids, numbers, digests = (np.array(c, dtype=np.int64) for c in zip(*found, strict=True))
                self.changed = fids, numbers
                order = np.argsort(numbers)
                self._known = numbers[order], digests[order]
        cur.execute(sql.SQL("DROP TABLE {}; CREATE INDEX ON {} (row_no)").format(sql.Identifier(SEEN),
                                                                             sql.Identifier(SAME)))
        return moved

    def unchanged_in(self, batch: Batch) -> np.ndarray:
        """Which rows of ``batch`` :meth:`resolve` found unchanged (asked per batch: memory stays
        flat however many rows the file has)."""
        if not len(batch.rows):
            return np.zeros(0, dtype=bool)
        self.cur.execute(sql.SQL("SELECT coalesce(array_agg(row_no), '{{}}') FROM {} WHERE row_no BETWEEN %s AND %s")
                         .format(sql.Identifier(SAME)), [int(batch.rows.min()), int(batch.rows.max())])
        (found,) = self.cur.fetchone() or ([],)
        return np.isin(batch.rows, np.asarray(found, dtype=np.int64))


def remember(cur: Cursor, kind: Kind, valid: str, first: bool, inserted: int, valid_count: int | None = None) -> None:
    """Record the digests of the rows just imported (table ``valid``), stamped with their stored
    ``updated_at``; ``first``: the layer has no digest yet (a plain INSERT, no conflict to check).
    When all ``inserted`` rows are the valid ones (``valid_count``, counted here if not given),
    their ``updated_at`` is this transaction's ``now()``.

    A row with a warning that :meth:`~Kind.check_unchanged` does not give again (a repaired
    geometry: the stored one is not the file's) is not remembered: it keeps the full path, and its
    warning. The stored rows were locked by the upsert (``Kind.upsert_into``): their ``updated_at``
    is still the one this import saw."""
    if valid_count is None:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(valid)))
        (valid_count,) = cur.fetchone() or (0,)
    all_new = valid_count == inserted
    cur.execute(sql.SQL(
        "INSERT INTO {digests} (layer, key, digest, stored_at) SELECT %s, v.{vkey}, v.import_digest, {stamp} "
        "FROM {valid} v {stored} WHERE NOT EXISTS (SELECT 1 FROM {errors} e WHERE e.row_no = v.row_no "
        "AND e.rule <> ALL(%s)) {upsert}").format(
        vkey=sql.Identifier(kind.key), valid=sql.Identifier(valid), errors=sql.Identifier(ERRORS),
        stamp=sql.SQL("now()" if all_new else "t.updated_at"),
        stored=sql.SQL("" if all_new else "JOIN {table} t ON t.{key} = v.{vkey}").format(
            table=sql.Identifier(kind.layer.table), key=sql.Identifier(kind.layer.column(kind.key)),
            vkey=sql.Identifier(kind.key)),
        upsert=sql.SQL("" if first else
                       "ON CONFLICT (layer, key) DO UPDATE SET digest = EXCLUDED.digest, "
                       "stored_at = EXCLUDED.stored_at "
                       "WHERE ({digests}.digest, {digests}.stored_at) "
                       "IS DISTINCT FROM (EXCLUDED.digest, EXCLUDED.stored_at)").format(digests=_TABLE),
        digests=_TABLE),
        [kind.layer.name, list(kind.rechecked_warnings)])
