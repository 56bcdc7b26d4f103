"""Running one import: open, map, transform, stage with COPY, validate in SQL, upsert — in one
transaction attributed to the importing user, so it commits whole or leaves the database as it was.

Imports of the same layer take a transaction-level advisory lock and so never interleave (a
second one waits for the first). ``dry_run`` does everything, reports, and rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from psycopg import Cursor

from layers import maintenance
from layers.access import Actor, check_edit, code_prefix
from layers.editing import acting_as
from layers.errors import BadParameter

from . import crs as crsmod
from . import digests, kinds, mapping, stream
from . import qa as qa_report
from . import staging as staging_table
from .errors import BadMapping, MissingCRS
from .fields import RowError
from .kinds.base import ERRORS, SAME, VALID, Context, Counts, Kind
from .readers import Source, open_file, read_ahead
from .staging import Staging


@dataclass
class Options:
    crs: str | None = None
    mapping: str | Path | None = None
    encoding: str | None = None
    layer: str | None = None
    dry_run: bool = False
    retire_missing: bool = False
    qa: bool = False
    expected: int | None = None
    qa_run: str | None = None


@dataclass
class Result:
    """What an import did: counts, the CRS and format used, and every rejected row / warning."""

    kind: str
    file: str
    format: str
    crs: str
    rows: int = 0
    counts: Counts = field(default_factory=Counts)
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    # Rows recognised as unchanged by their digest, which skipped conversion and validation.
    recognised: int = 0
    qa: qa_report.QAReport | None = None

    @property
    def warnings(self) -> int:
        return sum(1 for e in self.errors if e.severity == "warning")

    def summary(self) -> dict[str, object]:
        c = self.counts
        return {"kind": self.kind, "file": self.file, "format": self.format, "crs": self.crs, "rows": self.rows,
                "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged, "rejected": self.rejected,
                "retired": c.retired, "deleted": c.deleted, "warnings": self.warnings,
                "recognised": self.recognised, "ignored_columns": self.ignored_columns,
                "dry_run": self.dry_run}


# Called with the rows read since the last call; what it returns is ignored (tqdm.update returns a bool).
Progress = Callable[[int], object]


def run(kind_name: str, path: str | Path, actor: Actor, options: Options | None = None,
        progress: Progress | None = None) -> Result:
    """Import ``path`` as ``kind_name`` for ``actor`` (role and jurisdiction apply)."""
    options = options or Options()
    kind = kinds.get(kind_name)
    check_edit(kind.layer, actor)
    if options.retire_missing and kind.retired_status is None:
        raise BadParameter(f"{kind.name} cannot be retired: --retire-missing is for components", field="retire_missing",
                           rule="retire_missing")
    opened = open_file(path, layer=options.layer, encoding=options.encoding, digests=kind.digests)
    source = opened.source
    try:
        source_crs = _source_crs(source, options, Path(path).name)
        override = {**kind.aliases, **mapping.load_override(options.mapping)}
        names = {f.name for f in kind.all_fields} | set(mapping.COORDINATES)
        mapped, unused = mapping.resolve(source.columns, names, override)
        _check_columns(kind, source, mapped)
        extra = kind.extra_columns(unused)
        result = Result(kind.name, Path(path).name, opened.fmt, source_crs.name,
                        ignored_columns=[h for h in unused if h not in extra], dry_run=options.dry_run)
        ctx = Context(kind, code_prefix(actor), set(mapped), options.retire_missing, extra=extra,
                      dry_run=options.dry_run)
        with acting_as(actor.username), connection.cursor() as wrapper, connection.wrap_database_errors:
            cur: Cursor = wrapper.cursor
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"gridcity.import.{kind.layer.table}"])
            # Many short set-based statements: JIT compilation costs more than it saves on each.
            cur.execute("SET LOCAL jit = off")
            staging_table.create_tables(cur, kind)
            matcher = (digests.Matcher(cur, kind, mapped, extra, source_crs.name, source.encoding)
                       if kind.digests else None)
            staging = Staging(cur, kind, mapped, source_crs, extra, matcher)
            streamed = (stream.census(staging, source, ctx, progress)
                        if kind.streams and not (options.dry_run or options.qa) else None)
            if streamed is None:
                _stage_check_write(staging, source, ctx, options, result, progress)
            else:
                result.rows, result.counts = streamed
            if not options.dry_run:
                c = result.counts
                _refresh_statistics(cur, [kind.layer.table, *([digests.TABLE] if matcher else [])],
                                    c.inserted + c.updated + c.retired + c.deleted)
            result.errors = _errors(cur)
            result.rejected = len({e.row for e in result.errors if e.severity == "error"})
            staging_table.drop_tables(cur)
            if options.dry_run:
                transaction.set_rollback(True)
        return result
    finally:
        source.close()


def _stage_check_write(staging: Staging, source: Source, ctx: Context, options: Options, result: Result,
                       progress: Progress | None) -> None:
    """The general path: stage the whole file, check it, compute its QA, then upsert the layer
    and remember the digests; fills in ``result``."""
    cur, kind, matcher = staging.cur, staging.kind, staging.matcher
    result.rows, result.recognised = _read(staging, source, match=not options.qa, progress=progress)
    staging_table.index_stage(cur, kind)
    if matcher is not None:
        cur.execute(f"ANALYZE {SAME}")
    kind.validate(cur, ctx)
    if matcher is not None:
        kind.check_unchanged(cur, ctx)
    if options.qa:  # against the layer as it was (omissions: the previous inventory)
        result.qa = qa_report.compute(cur, kind.name, kind.layer.table, kind.key, kind.class_field,
                                      options.expected)
    result.counts = kind.upsert(cur, ctx)
    if result.qa is not None and not options.dry_run:
        # after the upsert: the map's qa_cells version row stays locked only until the commit
        qa_report.store(result.qa, options.qa_run or _stamp(), kind.name)
    if matcher is not None and not options.dry_run:
        digests.remember(cur, kind, VALID, first=matcher.first, inserted=result.counts.inserted)


def _read(staging: Staging, source: Source, match: bool, progress: Progress | None) -> tuple[int, int]:
    """Stage the file; returns (rows read, rows recognised unchanged).

    With remembered digests for the layer (and ``match``), a first pass finds the unchanged rows
    (``importers.digests``) and the second stages only the others — or, when they are few, they
    are read back by feature id; when every row is unchanged there is no second pass, and when no
    key of the first batch was imported before, no first.
    Progress counts each row once: the recognised ones when found, the others as they are staged.
    """
    matcher = staging.matcher
    rows, same, first_pass = 0, 0, False
    if matcher is not None and match and matcher.worth_matching():
        first_pass = True
        for number, batch in enumerate(source.match_batches(matcher.needs)):
            matcher.collect(batch)
            rows += len(batch.rows)
            if number == 0 and not matcher.knows_any():
                first_pass, rows = False, 0
                break
        if first_pass:
            same = matcher.resolve(rows)
            if progress:
                progress(same)
            if same == rows:
                return rows, same
            if matcher.changed is not None:
                for batch in source.features(*matcher.changed):
                    staging_table.stage_batch(staging, batch)
                    if progress:
                        progress(len(batch.rows))
                return rows, same
    with read_ahead(source.batches()) as batches:
        for batch in batches:
            if not first_pass:
                rows += len(batch.rows)
            if same and matcher is not None:
                skip = matcher.unchanged_in(batch)
                if skip.any():
                    batch = batch.take(~skip)
            if len(batch.rows):
                staging_table.stage_batch(staging, batch)
            if progress:
                progress(len(batch.rows))
    return rows, same


# The columns the planner estimates joins and filters of a table by: those of its indexes (keys,
# links, the scope column), but a geometry — the positions' histogram costs half the ANALYZE of a
# census and is needed by no import; the tile queries find the rows by the GiST index regardless.
_PLANNED_COLUMNS = """
SELECT DISTINCT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND format_type(a.atttypid, NULL) NOT IN ('geometry', 'geography') ORDER BY 1
"""
# The statistics target of that ANALYZE: a sample of 3,000 rows (PostgreSQL's default is 30,000).
COARSE_STATISTICS = 10


def _refresh_statistics(cur: Cursor, tables: list[str], changed: int) -> None:
    """ANALYZE the tables an import changed by more than a tenth: autovacuum would, but only a
    while after the commit, and until then the planner takes a freshly loaded layer for the
    empty table it was — a correction imported right after a census then joins it row by row.
    The statistics commit with the import.

    Coarse statistics of the planned columns only (:data:`_PLANNED_COLUMNS`,
    :data:`COARSE_STATISTICS`), a fraction of a full ANALYZE's cost. An ANALYZE of some columns
    leaves the table's count of changes since its last ANALYZE as it was, so autovacuum still
    analyzes the whole table, with the full sample, soon after the commit."""
    cur.execute("SELECT current_setting('default_statistics_target')")
    (target,) = cur.fetchone() or ("100",)
    for table in tables:
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        (known,) = cur.fetchone() or (0,)
        if changed > 1000 and changed > 0.1 * max(known, 0):
            cur.execute(_PLANNED_COLUMNS, [table])
            columns = [name for (name,) in cur.fetchall()]
            cur.execute("SELECT set_config('default_statistics_target', %s, true)", [str(COARSE_STATISTICS)])
            maintenance.analyze(cur, table, columns)  # as the table's owner: the import's role owns none
            cur.execute("SELECT set_config('default_statistics_target', %s, true)", [target])


def _stamp() -> str:
    from django.utils import timezone

    return timezone.now().strftime("cli-%Y%m%d-%H%M%S")


def _source_crs(source: Source, options: Options, name: str) -> crsmod.SourceCRS:
    if options.crs:
        return crsmod.parse(options.crs)
    if source.crs is None:
        raise MissingCRS(f"{name} does not say its CRS (no .prj / no CRS in the file): name it with --crs, "
                         "e.g. --crs EPSG:4490, EPSG:4549, gcj02", field="crs")
    return source.crs


def _check_columns(kind: Kind, source: Source, mapped: dict[str, str]) -> None:
    for name in kind.required:
        if name not in mapped:
            label = next(f.label for f in kind.all_fields if f.name == name)
            raise BadMapping(f"the file has no {label} column (columns: {', '.join(source.columns)}); "
                             "rename it or map it with --mapping", field=name, rule="required_column")
    if not source.has_geometry and not ({"lon", "lat"} <= set(mapped) or {"east", "north"} <= set(mapped)
                                        or "wkt" in mapped):
        raise BadMapping(f"the table has no coordinate columns (columns: {', '.join(source.columns)}): give "
                         "经度/纬度, X坐标 (northing)/Y坐标 (easting) or a WKT column, or map them with --mapping",
                         field="geometry", rule="required_column")


def _errors(cur: Cursor) -> list[RowError]:
    cur.execute(f"SELECT row_no, field, coalesce(value, ''), rule, message, severity FROM {ERRORS} "  # noqa: S608
                "ORDER BY row_no, severity, field")
    return [RowError(*r) for r in cur.fetchall()]
