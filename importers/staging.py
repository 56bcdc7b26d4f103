"""The staging table of an import: created, filled batch by batch, dropped.

Each batch of the file is converted and checked in Python (:func:`convert_batch`: geometries into
EPSG:4490, cells into typed values, unit grids located, digests) and COPYed into the temporary
``import_stage`` (:func:`copy_batch`), the rows' errors into ``import_errors``. The two steps are apart
for a streamed census (``importers.stream``), which converts a batch while the server settles
the one before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from psycopg import Cursor, sql
from psycopg.types import TypeInfo
from psycopg.types.string import BytesBinaryDumper

from . import crs as crsmod
from . import digests
from .fields import Field, RowError, convert, convert_distinct
from .kinds.base import ERRORS, KEYS, SAME, SEEN, STAGE, VALID, Kind
from .locate import GridLocator
from .readers import Batch, force_2d


@dataclass
class Staging:
    """What staging a batch needs: the import's cursor, kind, column mapping, CRS and extra headers,
    the digest matcher (kinds with digests) and the grid locator (kinds with a derived unit grid)."""

    cur: Cursor
    kind: Kind
    mapped: dict[str, str]
    source_crs: crsmod.SourceCRS
    extra: list[str]
    matcher: digests.Matcher | None

    @cached_property
    def locator(self) -> GridLocator | None:
        """Read the grids only once a batch is staged (a re-import that changed nothing never is)."""
        return GridLocator(self.cur) if "unit_grid" in self.kind.derived else None


def create_tables(cur: Cursor, kind: Kind) -> None:
    """The staging and error tables (temporary; dropped at the end even inside an outer transaction)."""
    drop_tables(cur)
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                                 for c, t in kind.stage_columns().items())
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(sql.Identifier(STAGE), columns))
    cur.execute(f"CREATE TEMP TABLE {ERRORS} (row_no integer, field text, value text, rule text, message text, "
                "severity text) ON COMMIT DROP")


def drop_tables(cur: Cursor) -> None:
    cur.execute(f"DROP VIEW IF EXISTS {VALID}; DROP TABLE IF EXISTS {STAGE}, {ERRORS}, {SAME}, {SEEN}, {KEYS}")


def _geometries(batch: Batch, mapped: dict[str, str], errors: list[RowError]) -> np.ndarray:
    """The batch's geometries in the source CRS, 2D: the file's, or built from coordinate columns."""
    if batch.geoms is not None:
        return batch.geoms
    if "wkt" in mapped:
        raw = [str(v) if v not in (None, "") else None for v in batch.column(mapped["wkt"])]
        return force_2d(shapely.from_wkt(raw, on_invalid="warn")) if raw else np.array([], dtype=object)
    xname, yname = ("lon", "lat") if {"lon", "lat"} <= set(mapped) else ("east", "north")
    coords = []
    for axis in (xname, yname):
        values = np.full(len(batch.rows), np.nan)
        for i, (row, cell) in enumerate(zip(batch.rows, batch.column(mapped[axis]), strict=True)):
            try:
                values[i] = float(cell)
            except (TypeError, ValueError):
                errors.append(RowError(int(row), axis, "" if cell is None else str(cell), "number",
                                       f"{mapped[axis]} {cell!r} is not a number"))
        coords.append(values)
    points = shapely.points(np.column_stack(coords))
    points[~(np.isfinite(coords[0]) & np.isfinite(coords[1]))] = None
    return points


@dataclass
class Converted:
    """A batch converted for the staging table: its columns, whether COPY takes them in binary
    (then with ``types``), the records, the rows' errors found on the way, and whether the grid
    locator placed every row with a geometry (then no SQL rule need look for one it left)."""

    names: list[str]
    types: list[str]
    binary: bool
    records: Iterator[tuple]
    errors: list[RowError]
    placed: bool = False


def stage_batch(staging: Staging, batch: Batch) -> None:
    """Convert, check and COPY one batch into the staging table (row errors into the error table)."""
    copy_batch(staging.cur, convert_batch(staging, batch))


def convert_batch(staging: Staging, batch: Batch) -> Converted:
    """Convert and check one batch, in Python only: a streamed census (``importers.stream``) does
    this while the server settles the batch before."""
    kind, mapped, source_crs, extra = staging.kind, staging.mapped, staging.source_crs, staging.extra
    errors: list[RowError] = []
    rows = batch.rows.tolist()
    geoms = kind.check_geometries(_geometries(batch, mapped, errors), batch.rows, errors)
    present = ~shapely.is_missing(geoms)
    if present.any():
        geoms[present] = source_crs.geometries_to_storage(geoms[present], batch.rows[present])
    values = {f.name: _converted(f, batch, mapped[f.name], rows, errors) if f.name in mapped
              else [None] * len(rows) for f in kind.all_fields}
    kind.prepare(values, rows, errors)
    if extra:
        kind.prepare_extra(values, {h: batch.column(h) for h in extra}, rows, errors)
    placed = False
    if staging.locator is not None:
        values["unit_grid"] = grids = staging.locator.locate(geoms)
        placed = grids.count(None) == len(grids) - int(present.sum())  # None only where no geometry
    if staging.matcher is not None:
        values["import_digest"] = staging.matcher.digests(batch).tolist()
    names = ["row_no", *values, "geom"]
    types = kind.stage_columns()
    # Binary COPY (EWKB bytes, no hex round trip) when every column has a binary dumper for what
    # the converters give; jsonb columns hold JSON text, which only the text format takes as is.
    binary = all(types[n] in _BINARY_TYPES or n == "geom" for n in names)
    # Plain WKB: the staging column is geometry(Geometry, 4490), and PostGIS gives a value without
    # an SRID its column's (no copy of every geometry to stamp one on here).
    wkb = shapely.to_wkb(geoms, hex=not binary, include_srid=False)
    return Converted(names, [types[n] for n in names[:-1]], binary,
                      zip(rows, *values.values(), wkb.tolist(), strict=True), errors, placed)


def _converted(field: Field, batch: Batch, header: str, rows: list[int], errors: list[RowError]) -> list:
    """The batch's column ``header`` converted to ``field``: a GIS file's text column straight from
    its distinct values (:meth:`Batch.text_codes`), others from their cells."""
    factorized = batch.text_codes(header)
    if factorized is None:
        return convert(field, batch.column(header), rows, errors)
    return convert_distinct(field, *factorized, rows, errors)


def copy_batch(cur: Cursor, converted: Converted) -> None:
    """COPY a converted batch into the staging table, and its errors into the error table."""
    names, binary = converted.names, converted.binary
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN{}").format(
            sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(" (FORMAT BINARY)" if binary else ""))) as copy:
        if binary:
            copy.set_types([*converted.types, _geometry_oid(cur)])
        for record in converted.records:
            copy.write_row(record)
    if converted.errors:
        with cur.copy(f"COPY {ERRORS} (row_no, field, value, rule, message, severity) FROM STDIN") as copy:
            for error in converted.errors:
                copy.write_row(error.as_tuple())


_BINARY_TYPES = {"integer", "text", "date", "bigint", "double precision"}


class _GeometryDumper(BytesBinaryDumper):
    """EWKB bytes as a binary ``geometry`` value (PostGIS ``geometry_recv`` reads EWKB)."""


def _geometry_oid(cur: Cursor) -> int:
    """The database's ``geometry`` oid, with a binary dumper for it on this cursor only (found by
    oid after ``Copy.set_types``; ``bytes`` elsewhere still dump as ``bytea``)."""
    oid = cur.adapters.types.get("geometry")
    if oid is None:
        info = TypeInfo.fetch(cur.connection, "geometry")
        if info is None:
            raise RuntimeError("PostGIS geometry type not found")
        info.register(cur)
        oid = info
    dumper = type("GeometryDumper", (_GeometryDumper,), {"oid": oid.oid})
    cur.adapters.register_dumper(None, dumper)
    return oid.oid


def index_stage(cur: Cursor, kind: Kind) -> None:
    """Index the staged rows by key and give the planner their statistics, but for the geometry:
    the rules join staged rows by key and row number, and probe positions through tables of their
    own (``import_probe``, ``import_qa_rows``), so the histogram of positions would plan nothing
    and cost half the ANALYZE."""
    planned = [c for c, t in kind.stage_columns().items() if not t.startswith("geometry")]
    cur.execute(sql.SQL("CREATE INDEX ON {stage} ({key}); ANALYZE {stage} ({planned})").format(
        stage=sql.Identifier(STAGE), key=sql.Identifier(kind.key),
        planned=sql.SQL(", ").join(map(sql.Identifier, planned))))
