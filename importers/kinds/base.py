"""What every import kind shares: its fields, geometry rule, staging table and upsert by code.

A kind names the layer it writes (``layers.registry``), the fields a file may carry (the stored
ones have the model's field names, so identifiers in SQL come from the registry and the kind,
never from the file), and its SQL validation. :meth:`Kind.upsert` is shared: rows with an
``error`` in the report are left out; the rest are compared column by column with the stored
rows of the same code, so a re-import updates only what changed and inserts only what is new.
Columns the file does not carry are neither compared nor overwritten.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import shapely
from psycopg import Cursor, sql
from psycopg.errors import UniqueViolation

from layers.editing import bulk_audit
from layers.registry import Layer, registry

from ..errors import ConcurrentEdit
from ..fields import Field, RowError
from ..indexes import built_after

STAGE, ERRORS, VALID = "import_stage", "import_errors", "import_valid"
# Rows whose digest shows them unchanged since their last import, and each batch's digests
# on their way there (``importers.digests``).
SAME, SEEN = "import_same", "import_seen"
# A streamed census's row numbers and keys of every batch, for the key-twice rule (``importers.stream``).
KEYS = "import_keys"
GEOMETRY_TYPES = {"point": ("Point",), "polygon": ("Polygon",), "line": ("LineString",),
                  "any": ("Point", "LineString", "Polygon")}
_LABELS = {"Point": "points", "LineString": "lines", "Polygon": "polygons"}
# A stored geometry is not changed by a file whose vertices are each within 1 mm of its own: 9e-9°
# is 1 mm along a meridian, less east-west. A file exported in another CRS and back (Gauss-Krüger
# shapefiles) comes back with such moves, and a re-import is to report those rows unchanged.
MOVE_TOLERANCE = 9e-9
# Whether the file's geometry ``v.geom`` moved the stored one: the exact test first; only for the few
# rows where it fails, each vertex against the vertex at the same place in the other geometry's
# order (a reversed line or a vertex slid along an edge is a change: shape distances would miss them).
_MOVED = ("CASE WHEN t.{stored} = v.geom THEN false ELSE GeometryType(t.{stored}) <> GeometryType(v.geom) "
          "OR ST_NPoints(t.{stored}) <> ST_NPoints(v.geom) "
          "OR (SELECT max(ST_Distance(a.geom, b.geom)) FROM ST_DumpPoints(t.{stored}) a "
          "JOIN ST_DumpPoints(v.geom) b ON b.path = a.path) > {tolerance} END")


@dataclass
class Context:
    """What SQL validation and the upsert need to know about this import."""

    kind: Kind
    jurisdiction: str
    mapped: set[str]
    retire_missing: bool = False
    options: dict[str, str] = field(default_factory=dict)
    # Headers the kind reads itself (:meth:`Kind.extra_columns`), e.g. facility attributes.
    extra: list[str] = field(default_factory=list)
    # Rolled back at the end: the upsert keeps the layer's indexes (``importers.indexes``).
    dry_run: bool = False
    # The layer was empty and is locked against every other session (a census streamed into it,
    # ``importers.stream``): rules comparing a row with its stored twin have none to look at.
    empty_layer: bool = False
    # Every staged row with a geometry has its unit grid, located while staging (``importers.locate``):
    # set per batch by a streamed census, whose rules then need not look for a row left without one.
    placed: bool = False


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    # zones only: stored zone areas the file replaced (they have no key to update by)
    deleted: int = 0


class Kind:
    """Base of the import kinds; subclasses set the class attributes and add SQL rules."""

    name: str
    layer_name: str
    title: str
    fields: tuple[Field, ...]
    geometry: str = "any"
    # Read from the file and checked, but not stored as such.
    extra_fields: tuple[Field, ...] = ()
    # Computed in SQL during validation: staging column → SQL type.
    derived: dict[str, str] = {}
    # Stored model columns → SQL expression over the staging row ``v`` (derived values).
    computed: dict[str, str] = {}
    required: tuple[str, ...] = ("code",)
    key: str = "code"
    # The staging column holding a class, for the QA duplicate rule (same class within 0.5 m).
    class_field: str | None = None
    # The status that --retire-missing sets, if the kind supports it.
    retired_status: str | None = None
    # Header aliases of this kind only (normalised header → field), ahead of the default mapping.
    aliases: dict[str, str] = {}
    # Unchanged rows are recognised by digest and skip the per-row work (``importers.digests``):
    # only for kinds whose stored row is a function of the file's row and the stored row.
    digests: bool = False
    # Fields an unchanged row still carries into ``import_same`` for :meth:`check_unchanged`.
    recheck: tuple[str, ...] = ()
    # Derived staging columns an unchanged row takes from its stored row: column → stored column.
    same_stored: dict[str, str] = {}
    # Warnings :meth:`check_unchanged` gives again; a row with any other warning is not remembered.
    rechecked_warnings: tuple[str, ...] = ()
    # A census into the empty layer may be streamed (``importers.stream``): every rule but
    # :meth:`validate_file`'s is in :meth:`validate_rows`, and the stored row is the valid staged row.
    streams: bool = False

    @property
    def layer(self) -> Layer:
        return registry.get(self.layer_name)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + self.extra_fields

    def stage_columns(self) -> dict[str, str]:
        return {"row_no": "integer", **{f.name: f.sql_type for f in self.all_fields},
                "geom": "geometry(Geometry, 4490)",
                # an invalid geometry's repair, before it replaces ``geom`` (``kinds.components.repair_geometries``)
                "repaired": "geometry(Geometry, 4490)", **self.derived,
                **({"import_digest": "bigint"} if self.digests else {})}

    # -- Python side, per batch -------------------------------------------------------------

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        """Kind-specific checks and normalisation of converted values (in place)."""

    def extra_columns(self, headers: list[str]) -> list[str]:
        """Of the headers no field took, those the kind reads itself (see :meth:`prepare_extra`)."""
        return []

    def prepare_extra(self, values: dict[str, list], columns: dict[str, list], rows: list[int],
                      errors: list[RowError]) -> None:
        """Fill derived staging columns in ``values`` from the raw cells of the extra columns."""

    def computed_columns(self, ctx: Context) -> dict[str, str]:
        """Stored columns computed over the staging row ``v`` for this import (default: ``computed``)."""
        return self.computed

    def check_geometries(self, geoms: np.ndarray, rows: np.ndarray, errors: list[RowError]) -> np.ndarray:
        """Single-part geometries of the kind's type (``geoms`` are 2D); others become None with a row error."""
        single = shapely.get_num_geometries(geoms) == 1
        multi = np.isin(shapely.get_type_id(geoms), (4, 5, 6)) & single
        geoms = geoms.copy()
        geoms[multi] = shapely.get_geometry(geoms[multi], 0)  # only the one-part multis: a copy each
        allowed = GEOMETRY_TYPES[self.geometry]
        types = shapely.get_type_id(geoms)
        names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                          "MultiPolygon", "GeometryCollection"], dtype=object)
        out = geoms.copy()
        absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        for i in np.flatnonzero(absent):
            errors.append(RowError(int(rows[i]), "geometry", "", "required", "the row has no geometry"))
            out[i] = None
        wrong = ~absent & ~np.isin(names[np.clip(types, 0, 7)], allowed)
        for i in np.flatnonzero(wrong):
            errors.append(RowError(int(rows[i]), "geometry", str(names[types[i]]), "geometry_type",
                                   f"a {names[types[i]]}: {self.title} are "
                                   f"{' or '.join(_LABELS[a] for a in allowed)} (one part each)"))
            out[i] = None
        return out

    # -- SQL side ----------------------------------------------------------------------------

    def validate(self, cur: Cursor, ctx: Context) -> None:
        """Add the kind's SQL rules to the error table: the file's, then each row's (subclasses
        extend either, calling ``super()`` first)."""
        self.validate_file(cur, ctx)
        self.validate_rows(cur, ctx)

    def validate_file(self, cur: Cursor, ctx: Context, source: str = STAGE) -> int:
        """The rules over all rows of the file at once (a key twice), over ``source``: the staged
        rows, or (a streamed census) the keys of every batch staged. Returns the rows rejected."""
        return duplicates(cur, self.key, self.fields[0].label, with_same=self.digests and source == STAGE,
                          source=source)

    def validate_rows(self, cur: Cursor, ctx: Context) -> None:
        """The rules each staged row passes or fails on its own, with the stored rows and the
        platform's tables (a :attr:`streams` kind has no other than :meth:`validate_file`'s).
        A subclass passes its own rules with :meth:`required_rules`' to one :func:`reject` (one
        scan of the staged rows for all of them)."""
        reject(cur, self.required_rules())

    def required_rules(self) -> list[Rule]:
        """A required field is empty — not when the cell was refused already (it is NULL for that reason)."""
        return [Rule(f"s.{f.name} IS NULL AND NOT EXISTS (SELECT 1 FROM {ERRORS} e "  # noqa: S608 (kind's names)
                     f"WHERE e.row_no = s.row_no AND e.field = '{f.name}')", f.name, "''", "required",
                     f"'{f.label} is empty: the row cannot be stored without it'")
                for f in self.all_fields if f.name in self.required]

    def stored_fields(self, ctx: Context) -> list[str]:
        """Model fields this import writes: those the file carries, in the kind's order."""
        return [f.name for f in self.fields if f.name in ctx.mapped]

    def same_stored_types(self) -> dict[str, str]:
        return {c: self.derived[c] for c in self.same_stored}

    def check_unchanged(self, cur: Cursor, ctx: Context) -> None:
        """The rules that still apply to rows in ``import_same`` (unchanged since their last import):
        those depending on more than the row, e.g. the user's jurisdiction. Run after :meth:`validate`."""

    def upsert(self, cur: Cursor, ctx: Context) -> Counts:
        valid = valid_rows(cur)
        inserted, updated = self.upsert_into(cur, ctx, self.layer, self.stored_fields(ctx),
                                             self.computed_columns(ctx), self.insert_defaults(ctx))
        counts = Counts(inserted=inserted, updated=updated, unchanged=valid - inserted - updated)
        if self.digests:
            counts.unchanged += unchanged_rows(cur)
        if ctx.retire_missing:
            counts.retired = self.retire(cur, ctx)
        return counts

    def upsert_into(self, cur: Cursor, ctx: Context, layer: Layer, stored: list[str], computed: dict[str, str],
                    defaults: dict[str, str], only: str = "TRUE") -> tuple[int, int]:
        """Update the changed and insert the new rows of the valid table (those matching the SQL
        condition ``only`` over ``v``) into ``layer``'s table; returns (inserted, updated)."""
        table, valid_table = sql.Identifier(layer.table), sql.Identifier(VALID)
        key, vkey = sql.Identifier(layer.column(self.key)), sql.Identifier(self.key)
        pairs = _stored_pairs(layer, stored, computed)
        geom = sql.Identifier(layer.column(layer.geometry_field))
        cols, vals = _written(layer, pairs)
        differs = sql.SQL(" OR ").join(
            [*(sql.SQL("t.{} IS DISTINCT FROM {}").format(sql.Identifier(c), v) for c, v in pairs),
             sql.SQL(_MOVED).format(stored=geom, tolerance=sql.Literal(MOVE_TOLERANCE))])
        # The stored rows the file names are locked until the commit: an edit of one waits, so what this
        # import compared (and the digests it remembers) stays true; a row someone else inserts meanwhile
        # is caught after the INSERT below.
        cur.execute(sql.SQL(
            "SELECT count(*) FILTER (WHERE t.locked), count(*) FROM {valid} v LEFT JOIN LATERAL "
            "(SELECT true AS locked FROM {table} s WHERE s.{key} = v.{vkey} FOR SHARE) t ON true WHERE ({only})"
        ).format(valid=valid_table, table=table, key=key, vkey=vkey, only=sql.SQL(only)))
        existing, listed = cur.fetchone() or (0, 0)
        cur.execute(sql.SQL(
            "UPDATE {table} t SET ({cols}, updated_at) = ROW({vals}, now()) FROM {valid} v "
            "WHERE t.{key} = v.{vkey} AND ({only}) AND ({differs})").format(
            table=table, cols=cols, vals=vals, valid=valid_table, key=key, vkey=vkey, differs=differs,
            only=sql.SQL(only)))
        updated = cur.rowcount
        insert = _insert(layer, pairs, defaults, only)
        # One audit entry for the statement, listing the new keys (the stored row is its after-image).
        with bulk_audit(cur):
            if existing:
                # The rows already stored were updated above; the unique key skips them. (Not an
                # anti-join with the table: planned while the layer is empty, it becomes a scan of the
                # rows this very statement inserts, once per row.)
                cur.execute(sql.SQL("{} ON CONFLICT ({}) DO NOTHING").format(insert, key))
                inserted = cur.rowcount
            else:
                # No key of the file is stored (a first census): a plain INSERT, without the
                # speculative insertion ON CONFLICT makes per row. A key
                # inserted by someone else meanwhile breaks the unique key instead of being skipped.
                # Into an empty layer, the indexes are built after the rows (``importers.indexes``);
                # there the exclusive lock keeps every other writer out, and the unique key is
                # rebuilt over rows whose keys the checks found unique.
                with nullcontext() if ctx.dry_run else built_after(cur, layer.table):
                    try:
                        cur.execute(insert)
                    except UniqueViolation as exc:
                        detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
                        raise ConcurrentEdit(f"one of the file's {layer.title} was created by someone else while "
                                             f"this import ran{detail}; nothing was written — run the import again",
                                             field=self.key) from None
                    inserted = cur.rowcount
        if existing + inserted != listed:
            raise ConcurrentEdit(f"{listed - existing - inserted} of the file's {layer.title} were created by someone "
                                 "else while this import ran; nothing was written — run the import again",
                                 field=self.key)
        return inserted, updated

    def insert_valid(self, cur: Cursor, ctx: Context) -> int:
        """INSERT the valid staged rows into the kind's layer, as new rows (a streamed census: no
        key is stored, and no other session writes the layer); audited as one entry. Returns how many."""
        layer = self.layer
        with bulk_audit(cur):
            cur.execute(_insert(layer, _stored_pairs(layer, self.stored_fields(ctx), self.computed_columns(ctx)),
                                self.insert_defaults(ctx), "TRUE"))
            return cur.rowcount

    def insert_defaults(self, ctx: Context) -> dict[str, str]:
        """Columns a new row needs that the file did not carry: column → SQL expression."""
        return {}

    def retire(self, cur: Cursor, ctx: Context) -> int:
        raise NotImplementedError


def valid_rows(cur: Cursor) -> int:
    """The staged rows without an error, as the temporary view ``import_valid`` (a census's rows
    are not copied once more); returns their count."""
    cur.execute(sql.SQL("CREATE TEMP VIEW {} AS SELECT s.* FROM {} s WHERE NOT EXISTS "
                        "(SELECT 1 FROM {} e WHERE e.row_no = s.row_no AND e.severity = 'error')").format(
        sql.Identifier(VALID), sql.Identifier(STAGE), sql.Identifier(ERRORS)))
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(VALID)))
    (valid,) = cur.fetchone() or (0,)
    return valid


def _stored_pairs(layer: Layer, stored: list[str], computed: dict[str, str]) -> list[tuple[str, sql.Composable]]:
    """Each column an import writes (but the geometry) with its value over the valid row ``v``."""
    return ([(layer.column(n), _value(layer, n)) for n in stored]
            + [(layer.column(n), sql.SQL(expr)) for n, expr in computed.items()])


def _written(layer: Layer, pairs: list[tuple[str, sql.Composable]]) -> tuple[sql.Composed, sql.Composed]:
    """The columns an import writes, the geometry last, and their values over ``v``."""
    geom = sql.Identifier(layer.column(layer.geometry_field))
    return (sql.SQL(", ").join([*(sql.Identifier(c) for c, _ in pairs), geom]),
            sql.SQL(", ").join([*(v for _, v in pairs), sql.SQL("v.geom")]))


def _insert(layer: Layer, pairs: list[tuple[str, sql.Composable]], defaults: dict[str, str],
            only: str) -> sql.Composed:
    """``INSERT INTO`` the layer the valid rows matching ``only`` (SQL over ``v``), stamped now."""
    written, values = _written(layer, pairs)
    cols = sql.SQL(", ").join([written, *(sql.Identifier(c) for c in defaults)])
    vals = sql.SQL(", ").join([values, *(sql.SQL(e) for e in defaults.values())])
    return sql.SQL("INSERT INTO {table} ({cols}, created_at, updated_at) SELECT {vals}, now(), now() FROM {valid} v "
                   "WHERE ({only})").format(table=sql.Identifier(layer.table), cols=cols, vals=vals,
                                            valid=sql.Identifier(VALID), only=sql.SQL(only))


def _value(layer: Layer, name: str) -> sql.Composable:
    """``v.name``, with an empty cell stored as the model field's default ('' for text) where NULL is not allowed."""
    f = layer.model._meta.get_field(name)
    value = sql.SQL("v.{}").format(sql.Identifier(name))
    if f.null or f.is_relation:
        return value
    fallback = f.get_default() if f.has_default() else ("" if f.get_internal_type() == "CharField" else None)
    return value if fallback is None else sql.SQL("coalesce({}, {})").format(value, sql.Literal(fallback))


def unchanged_rows(cur: Cursor) -> int:
    """The rows set aside as unchanged that no rule rejected."""
    cur.execute(f"SELECT count(*) FROM {SAME} s WHERE NOT EXISTS (SELECT 1 FROM {ERRORS} e "  # noqa: S608 (module constants)
                "WHERE e.row_no = s.row_no AND e.severity = 'error')")
    (count,) = cur.fetchone() or (0,)
    return count


def add_errors(cur: Cursor, query: str, params: list | None = None) -> int:
    """``INSERT INTO import_errors (row_no, field, value, rule, message, severity) <query>``."""
    cur.execute(f"INSERT INTO {ERRORS} (row_no, field, value, rule, message, severity) " + query, params or [])
    return cur.rowcount


def duplicates(cur: Cursor, key: str, label: str, with_same: bool = False, source: str = STAGE) -> int:
    """Every row whose key appears more than once in the file is rejected (which one is right is unknown);
    ``with_same``: counting the rows set aside as unchanged too; ``source``: the table of the rows
    (``row_no`` and the key). Whether any key repeats is asked first (the distinct keys counted,
    sorted, cheaper than the hash aggregate finding which repeat); the repeated keys
    are then found first, so listing their rows costs nothing more. Returns how many rows were rejected."""
    rows = sql.SQL("(SELECT row_no, {k} FROM {stage} UNION ALL SELECT row_no, {k} FROM {same})" if with_same
                   else "{stage}").format(k=sql.Identifier(key), stage=sql.Identifier(source),
                                          same=sql.Identifier(SAME))
    cur.execute(sql.SQL("SELECT count({k}) > count(DISTINCT {k}) FROM {rows} r").format(k=sql.Identifier(key),
                                                                                        rows=rows))
    (repeats,) = cur.fetchone() or (False,)
    if not repeats:
        return 0
    return add_errors(cur, sql.SQL(
        "SELECT r.row_no, %s, r.{k}, 'unique_in_file', format('%%s %%s appears %%s times in the file (rows %%s)', "
        "%s::text, r.{k}, d.n, d.rows_list), 'error' FROM {rows} r JOIN (SELECT {k}, count(*) AS n, "
        "string_agg(row_no::text, ', ' ORDER BY row_no) AS rows_list FROM {rows} x WHERE {k} IN "
        "(SELECT {k} FROM {rows} y WHERE {k} IS NOT NULL GROUP BY {k} HAVING count(*) > 1) GROUP BY {k}) d "
        "ON d.{k} = r.{k}").format(k=sql.Identifier(key), rows=rows).as_string(cur), [key, label])


@dataclass(frozen=True)
class Rule:
    """A rule each row of the staged (or set-aside) rows ``s`` passes or fails on its own: a row
    matching ``where`` gets an error in ``field`` showing ``value``; ``where``, ``value`` and
    ``message`` are SQL over ``s``, and ``params`` bind the placeholders of ``where`` only."""

    where: str
    field: str
    value: str
    rule: str
    message: str
    params: tuple = ()
    severity: str = "error"


def reject(cur: Cursor, rules: list[Rule], source: str = STAGE) -> int:
    """One error per row of ``source`` and rule it fails, for all ``rules`` in one scan: each
    condition is evaluated once per row, the values and messages only for the rows that fail
    one. Returns how many errors were added."""
    if len(rules) <= 1:
        return sum(rejected_by(cur, r.where, r.field, r.value, r.rule, r.message, list(r.params), r.severity, source)
                   for r in rules)
    hits = ", ".join(f"({r.where}) AS hit_{i}" for i, r in enumerate(rules))
    found = " OR ".join(f"s.hit_{i}" for i in range(len(rules)))
    errors = ", ".join(f"(s.hit_{i}, %s, {r.value}, %s, {r.message}, %s)" for i, r in enumerate(rules))
    # OFFSET 0 keeps the subquery whole: each condition is computed once, not again in the VALUES
    return add_errors(cur, f"SELECT s.row_no, e.field, e.value, e.rule, e.message, e.severity FROM "  # noqa: S608 (the kinds' SQL)
                      f"(SELECT s.*, {hits} FROM {source} s OFFSET 0) s CROSS JOIN LATERAL (VALUES {errors}) "
                      f"e(hit, field, value, rule, message, severity) WHERE ({found}) AND e.hit",
                      [*(p for r in rules for p in r.params),
                       *(p for r in rules for p in (r.field, r.rule, r.severity))])


def rejected_by(cur: Cursor, where: str, field_name: str, value: str, rule: str, message: str,
                params: list | None = None, severity: str = "error", source: str = STAGE) -> int:
    """One error per row of ``source`` (the staging table, or ``import_same``) matching ``where``
    (SQL over alias ``s``; ``value``/``message`` are SQL): one :class:`Rule`, alone."""
    return add_errors(cur, f"SELECT s.row_no, %s, {value}, %s, {message}, %s FROM {source} s WHERE {where}",  # noqa: S608 (identifiers are module constants)
                      [field_name, rule, severity, *(params or [])])
