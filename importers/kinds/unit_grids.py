"""Unit grids 单元网格 (SPEC §3, §4): polygons upserted by their 15-digit 网格编码.

Rules, each with its rule name in the error report:

- ``code_format``: 网格编码 is 15 ASCII digits; ``required``: it is not empty;
- ``code_hierarchy``: its 12-digit prefix is an existing community (the community is derived
  from the code, never read from the file);
- ``inside_parent``: the polygon lies inside that community, up to
  ``settings.GRIDCITY_NESTING_TOLERANCE_M2`` m² outside (geodesic area);
- ``valid_geometry``: an invalid polygon is repaired with ST_MakeValid when the repair keeps one
  polygon (a warning says so), otherwise rejected; ``geometry_type``: one polygon per row;
- ``jurisdiction``: the code lies in the importing user's jurisdiction; ``unique_in_file``.

``area_m2`` is computed in SQL on the ellipsoid (geography), as the model does for single edits.
Overlaps and gaps between the grids of a community are the topology check's business
(``gridding``), not the import's.
"""

from __future__ import annotations

from django.conf import settings
from psycopg import Cursor

from ..fields import Field
from ..mapping import normalise
from .base import STAGE, Context, Kind, add_errors, rejected_by
from .components import repair_geometries

FIELDS = (
    Field("code", "网格编码", pattern=r"[0-9]{15}"),
    Field("initial_date", "初始划分日期", "date"),
    Field("change_date", "变更日期", "date"),
)
# Headers that name the grid's own code in a unit-grid file (BGID is "the grid it lies in" elsewhere).
CODE_ALIASES = ("网格编码", "单元网格编码", "单元网格代码", "网格代码", "网格编号", "单元网格", "网格", "bgid",
                "gridcode", "grid_code", "grid")


class UnitGrids(Kind):
    name = "unit_grids"
    layer_name = "unit_grids"
    title = "unit grids"
    fields = FIELDS
    geometry = "polygon"
    computed = {"community": "left(v.code, 12)", "area_m2": "ST_Area(v.geom::geography)"}
    aliases = {normalise(a): "code" for a in CODE_ALIASES}

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        rejected_by(cur, "s.code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM layers_community c "
                    "WHERE c.code = left(s.code, 12))", "code", "s.code", "code_hierarchy",
                    "format('unit grid code %%s nests in community %%s, which does not exist', s.code, "
                    "left(s.code, 12))")
        repair_geometries(cur)
        # Only polygons that are valid now (repaired or not): ST_Difference needs valid input.
        tolerance = float(settings.GRIDCITY_NESTING_TOLERANCE_M2)
        outside = (f"SELECT s.row_no, s.code, ST_Area(ST_Difference(s.geom, c.geom)::geography) AS m2 FROM {STAGE} s "  # noqa: S608
                   "JOIN layers_community c ON c.code = left(s.code, 12) WHERE ST_IsValid(s.geom)")
        add_errors(cur, f"SELECT row_no, 'geometry', code, 'inside_parent', format('unit grid %%s lies %%s m² "  # noqa: S608
                   "outside community %%s (tolerance %%s m²)', code, round(m2::numeric, 1), left(code, 12), %s::text), "
                   f"'error' FROM ({outside}) o WHERE m2 > %s", [tolerance, tolerance])
        if ctx.jurisdiction:
            rejected_by(cur, "s.code IS NOT NULL AND s.code NOT LIKE %s || '%%'", "code", "s.code", "jurisdiction",
                        "format('unit grid %%s lies outside your jurisdiction', s.code)", [ctx.jurisdiction])
