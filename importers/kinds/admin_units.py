"""Administrative units (GB/T 2260): districts, streets and communities in one file, told apart by
the length of their code (6, 9, 12 digits), upserted by code into their three layers, parents first.

Rules, each with its rule name in the error report:

- ``code_format``: 6, 9 or 12 ASCII digits; ``required``: 区划代码 and 名称 are not empty;
- ``code_hierarchy``: a street's 6-digit and a community's 9-digit prefix is a stored unit or a
  valid row of the same file (a child of a rejected row is rejected too); the parent is derived
  from the code, never read from the file;
- ``inside_parent``: the polygon lies inside its parent (the file's shape when the file carries
  the parent, else the stored one) within ``settings.GRIDCITY_NESTING_TOLERANCE_M2`` m²;
- ``valid_geometry``: an invalid (multi)polygon is repaired with ST_MakeValid into its polygonal
  part (a warning), rejected when nothing polygonal is left; ``geometry_type``: polygons or
  multipolygons (stored as multipolygons);
- ``jurisdiction``: the code lies in the importing user's jurisdiction; ``unique_in_file``.
"""

from __future__ import annotations

import numpy as np
import shapely
from django.conf import settings
from psycopg import Cursor

from layers.registry import registry

from ..fields import Field, RowError
from .base import ERRORS, STAGE, Context, Counts, Kind, add_errors, rejected_by, valid_rows

FIELDS = (
    Field("code", "区划代码", pattern=r"[0-9]{6}(?:[0-9]{3}){0,2}"),
    Field("name", "名称", max_length=100),
)
# code length → (layer, parent field, parent code length), parents first
LEVELS: dict[int, tuple[str, str | None, int | None]] = {
    6: ("districts", None, None),
    9: ("streets", "district", 6),
    12: ("communities", "street", 9),
}
_PARENT_TABLE = {9: "layers_district", 12: "layers_street"}
_LEVEL_NAMES = {6: "district", 9: "street", 12: "community"}


class AdminUnits(Kind):
    name = "admin_units"
    layer_name = "districts"  # the three layers share their editors (administrators)
    title = "administrative units"
    fields = FIELDS
    geometry = "polygon"
    required = ("code", "name")

    def check_geometries(self, geoms: np.ndarray, rows: np.ndarray, errors: list[RowError]) -> np.ndarray:
        """Polygons and multipolygons (any number of parts; ``geoms`` are 2D)."""
        out = geoms.copy()
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        types = shapely.get_type_id(geoms)
        for i in np.flatnonzero(missing):
            errors.append(RowError(int(rows[i]), "geometry", "", "required", "the row has no geometry"))
            out[i] = None
        for i in np.flatnonzero(~missing & ~np.isin(types, (3, 6))):
            errors.append(RowError(int(rows[i]), "geometry", geoms[i].geom_type, "geometry_type",
                                   f"a {geoms[i].geom_type}: {self.title} are polygons or multipolygons"))
            out[i] = None
        return out

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        _repair(cur)
        for length, parent_length in ((9, 6), (12, 9)):
            rejected_by(cur, f"length(s.code) = {length} AND NOT EXISTS (SELECT 1 FROM {_PARENT_TABLE[length]} p "  # noqa: S608
                        f"WHERE p.code = left(s.code, {parent_length})) AND NOT EXISTS (SELECT 1 FROM {STAGE} f "
                        f"WHERE f.code = left(s.code, {parent_length}))", "code", "s.code", "code_hierarchy",
                        f"format('{_LEVEL_NAMES[length]} code %%s nests in {_LEVEL_NAMES[parent_length]} %%s, "
                        f"which does not exist', s.code, left(s.code, {parent_length}))")
        tolerance = float(settings.GRIDCITY_NESTING_TOLERANCE_M2)
        for length, parent_length in ((9, 6), (12, 9)):
            parent = (f"SELECT coalesce((SELECT f.geom FROM {STAGE} f WHERE f.code = left(s.code, {parent_length}) "  # noqa: S608
                      f"AND ST_IsValid(f.geom) LIMIT 1), (SELECT p.geom FROM {_PARENT_TABLE[length]} p "
                      f"WHERE p.code = left(s.code, {parent_length})))")
            outside = (f"SELECT s.row_no, s.code, ST_Area(ST_Difference(s.geom, ({parent}))::geography) AS m2 "  # noqa: S608
                       f"FROM {STAGE} s WHERE length(s.code) = {length} AND ST_IsValid(s.geom)")
            add_errors(cur, f"SELECT row_no, 'geometry', code, 'inside_parent', format('{_LEVEL_NAMES[length]} "  # noqa: S608
                       f"%%s lies %%s m² outside {_LEVEL_NAMES[parent_length]} %%s (tolerance %%s m²)', code, "
                       f"round(m2::numeric, 1), left(code, {parent_length}), %s::text), 'error' FROM ({outside}) o "
                       "WHERE m2 > %s", [tolerance, tolerance])
        if ctx.jurisdiction:
            rejected_by(cur, "s.code IS NOT NULL AND s.code NOT LIKE %s || '%%'", "code", "s.code", "jurisdiction",
                        "format('%%s lies outside your jurisdiction', s.code)", [ctx.jurisdiction])
        # A child whose parent is only in the file and was rejected cannot be stored either.
        for length, parent_length in ((9, 6), (12, 9)):
            rejected_by(cur, f"length(s.code) = {length} AND NOT EXISTS (SELECT 1 FROM {_PARENT_TABLE[length]} p "  # noqa: S608
                        f"WHERE p.code = left(s.code, {parent_length})) AND EXISTS (SELECT 1 FROM {STAGE} f "
                        f"JOIN {ERRORS} e ON e.row_no = f.row_no AND e.severity = 'error' "
                        f"WHERE f.code = left(s.code, {parent_length})) AND NOT EXISTS (SELECT 1 FROM {ERRORS} x "
                        "WHERE x.row_no = s.row_no AND x.rule = 'code_hierarchy')", "code", "s.code",
                        "code_hierarchy", f"format('the {_LEVEL_NAMES[parent_length]} %%s of %%s is rejected in "
                        f"this file and not stored', left(s.code, {parent_length}), s.code)")

    def upsert(self, cur: Cursor, ctx: Context) -> Counts:
        valid = valid_rows(cur)
        counts = Counts()
        for length, (layer_name, parent_field, parent_length) in LEVELS.items():
            computed = {parent_field: f"left(v.code, {parent_length})"} if parent_field else {}
            inserted, updated = self.upsert_into(cur, ctx, registry.get(layer_name), self.stored_fields(ctx),
                                                 computed, {}, only=f"length(v.code) = {length}")
            counts.inserted += inserted
            counts.updated += updated
        counts.unchanged = valid - counts.inserted - counts.updated
        return counts


def _repair(cur: Cursor) -> None:
    """Invalid shapes → their polygonal part after ST_MakeValid (warning); nothing left → rejected.
    Every shape is then stored as a multipolygon."""
    cur.execute(f"UPDATE {STAGE} SET repaired = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) "  # noqa: S608
                "WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)")
    rejected_by(cur, "s.repaired IS NOT NULL AND ST_IsEmpty(s.repaired)", "geometry", "ST_IsValidReason(s.geom)",
                "valid_geometry", "format('invalid %%s (%%s) with no polygon left after repair; fix it in the source', "
                "GeometryType(s.geom), ST_IsValidReason(s.geom))")
    rejected_by(cur, "s.repaired IS NOT NULL AND NOT ST_IsEmpty(s.repaired)", "geometry", "ST_IsValidReason(s.geom)",
                "valid_geometry", "format('invalid %%s (%%s) repaired with ST_MakeValid', GeometryType(s.geom), "
                "ST_IsValidReason(s.geom))", severity="warning")
    cur.execute(f"UPDATE {STAGE} SET geom = CASE WHEN repaired IS NOT NULL AND NOT ST_IsEmpty(repaired) "  # noqa: S608
                "THEN repaired ELSE ST_Multi(geom) END WHERE geom IS NOT NULL")
