"""Zone-type areas 区域类型 A/B/C for evaluation sampling (``gridding.ZoneArea``, layer ``zone_areas``).

A zone area has no code, so there is no natural key to upsert by. The file is taken as the zone
map of the area it covers: every stored zone area whose interior overlaps a valid polygon of the
file (and, for a user with a jurisdiction, lies inside that jurisdiction) is **replaced** by the
file's zones. A stored zone identical to a file row (same type, name and geometry) is kept as it
is and counted unchanged, so re-importing an unchanged file writes nothing. Deletions and
insertions are audited like any other change (``deleted`` in the summary).

Rules, each with its rule name in the error report:

- ``zone_type``: 区域类型 (headers 区域类型 / 类型 / ZoneType …) is A, B or C (case-insensitive;
  ``A类`` and ``A类区域``, the layer's own labels, are accepted too). 一类/二类/三类 are **not**
  mapped: which of them is A is a local convention, so such a file needs its values rewritten;
- ``required``: the type is not empty; ``max_length``: 名称 at most 100 characters;
- ``geometry_type``: polygons or multipolygons (stored as multipolygons);
- ``valid_geometry``: an invalid shape is reduced to its polygonal part by ST_MakeValid (a
  warning), rejected when nothing polygonal is left;
- ``jurisdiction``: the polygon lies inside the importing user's jurisdiction (1 m of slack).
"""

from __future__ import annotations

from psycopg import Cursor, sql

from layers.editing import bulk_audit

from ..fields import Field, RowError
from ..mapping import normalise
from .admin_units import AdminUnits, _repair
from .base import VALID, Context, Counts, Kind, rejected_by, valid_rows

FIELDS = (
    Field("zone_type", "区域类型"),
    Field("name", "名称", max_length=100),
)
ZONE_ALIASES = ("区域类型", "区域类别", "类型", "zonetype", "zone_type", "zone", "type")
# normalised cell → stored type
_VALUES = {normalise(v): t for t in "ABC" for v in (t, f"{t}类", f"{t}类区域", f"{t}区")}
# the jurisdiction's polygon by code length, with 1 m of slack (imports keep a whole shape inside it)
_UNITS = {6: "layers_district", 9: "layers_street", 12: "layers_community"}
_TABLE = "gridding_zonearea"


def _area(code: str) -> str:
    table = _UNITS.get(len(code), "layers_district")
    return (f"(SELECT ST_SetSRID(ST_Buffer(u.geom::geography, 1)::geometry, 4490) FROM {table} u "  # noqa: S608
            "WHERE u.code = %s)")


class Zones(Kind):
    name = "zones"
    layer_name = "zone_areas"
    title = "zone areas"
    fields = FIELDS
    geometry = "polygon"
    required = ("zone_type",)
    key = "zone_type"  # the staging index; zones are matched by content, not by a key
    aliases = {normalise(a): "zone_type" for a in ZONE_ALIASES}

    check_geometries = AdminUnits.check_geometries

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        types = values["zone_type"]
        for i, (row, given) in enumerate(zip(rows, types, strict=True)):
            if given is None:
                continue
            types[i] = _VALUES.get(normalise(given))
            if types[i] is None:
                errors.append(RowError(row, "zone_type", str(given), "zone_type",
                                       f"区域类型 {given!r} is not a zone type: give A, B or C"))

    def validate(self, cur: Cursor, ctx: Context) -> None:
        # No key: a zone may appear more than once in a file (unique_in_file does not apply).
        rejected_by(cur, "s.zone_type IS NULL AND NOT EXISTS (SELECT 1 FROM import_errors e "
                    "WHERE e.row_no = s.row_no AND e.field = 'zone_type')", "zone_type", "''", "required",
                    "'区域类型 is empty: the row cannot be stored without it'")
        _repair(cur)
        if ctx.jurisdiction:
            rejected_by(cur, f"s.geom IS NOT NULL AND NOT coalesce(ST_CoveredBy(s.geom, {_area(ctx.jurisdiction)}), "
                        "false)", "geometry", "''", "jurisdiction",
                        sql.SQL("format('the zone lies (partly) outside your jurisdiction %%s', {}::text)").format(
                            sql.Literal(ctx.jurisdiction)).as_string(cur), [ctx.jurisdiction])

    def upsert(self, cur: Cursor, ctx: Context) -> Counts:
        valid = valid_rows(cur)
        # Stored zones identical to a valid row: kept (the row is unchanged).
        cur.execute(f"""
            CREATE TEMP TABLE import_zone_same ON COMMIT DROP AS
              SELECT DISTINCT v.row_no, z.id FROM {VALID} v JOIN {_TABLE} z
                ON z.zone_type = v.zone_type AND z.name = coalesce(v.name, '') AND z.geom ~= v.geom
               AND z.geom = v.geom""")  # noqa: S608 (module constants)
        scope, params = ("TRUE", []) if not ctx.jurisdiction else (
            f"ST_CoveredBy(z.geom, {_area(ctx.jurisdiction)})", [ctx.jurisdiction])
        cur.execute(f"""
            DELETE FROM {_TABLE} z WHERE {scope}
               AND NOT EXISTS (SELECT 1 FROM import_zone_same m WHERE m.id = z.id)
               AND EXISTS (SELECT 1 FROM {VALID} v WHERE v.geom && z.geom AND ST_Relate(v.geom, z.geom, 'T********'))
        """, params)  # noqa: S608 (module constants)
        deleted = cur.rowcount
        with bulk_audit(cur):
            cur.execute(f"""
                INSERT INTO {_TABLE} (zone_type, name, geom, created_at, updated_at)
                SELECT v.zone_type, coalesce(v.name, ''), v.geom, now(), now() FROM {VALID} v
                 WHERE NOT EXISTS (SELECT 1 FROM import_zone_same m WHERE m.row_no = v.row_no)
                 ORDER BY v.row_no""")  # noqa: S608 (module constants)
            inserted = cur.rowcount
        cur.execute("DROP TABLE import_zone_same")
        return Counts(inserted=inserted, unchanged=valid - inserted, deleted=deleted)

