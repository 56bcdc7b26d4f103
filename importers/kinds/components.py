"""Components 部件 (SPEC §4, GB/T 30428.2): upserted by 标识码, unit grid derived from position.

Rules, each with its rule name in the error report:

- ``code_format``: 标识码 is 16 ASCII digits; ``class_code``: the class (4-digit, or the 10-digit
  class code whose last 4 digits it is) is in the class table; missing, it is taken from 标识码;
- ``component_code``: 标识码 carries its class in digits 7–10 and its district in digits 1–6;
- ``inside_district``: the position lies in a unit grid (the grid is derived, never trusted);
  ``grid_mismatch`` (warning): the file's 所在单元网格 disagrees with the derived one;
- ``jurisdiction``: the derived grid, and the stored component being replaced, lie in the
  importing user's jurisdiction; ``unique_in_file``: a 标识码 appears once;
- ``valid_geometry``: lines and polygons that are invalid are repaired with ST_MakeValid when the
  repair keeps their type (a warning says so), otherwise rejected.

``--retire-missing`` sets 状态 = 注销 (retired) on the stored components of the imported area
(the user's jurisdiction, or the districts the file covers) that the file does not list; nothing
is ever deleted.
"""

from __future__ import annotations

from psycopg import Cursor

from layers.models import Component

from ..fields import Field, RowError
from .base import SAME, STAGE, Context, Kind, Rule, add_errors, reject, rejected_by

FIELDS = (
    Field("code", "标识码", pattern=r"[0-9]{16}"),
    Field("component_class", "部件类别"),
    Field("name", "名称", max_length=100),
    Field("dept_admin", "主管部门", max_length=100),
    Field("dept_owner", "权属单位", max_length=100),
    Field("dept_maintain", "养护单位", max_length=100),
    Field("status", "状态", choices=tuple(Component.STATUSES)),
    Field("initial_date", "初始时间", "date"),
    Field("change_date", "变更时间", "date"),
    Field("data_source", "数据来源", max_length=50),
    Field("location_desc", "位置描述", max_length=200),
    Field("currency_date", "现势性", "date"),
    Field("scale_denominator", "源比例尺分母", "int"),
    Field("note", "备注", max_length=500),
)
_PROBE = "CASE WHEN GeometryType({g}) = 'POINT' THEN {g} ELSE ST_PointOnSurface({g}) END"


class Components(Kind):
    name = "components"
    layer_name = "components"
    title = "components"
    fields = FIELDS
    extra_fields = (Field("grid_stated", "所在单元网格"),)
    derived = {"unit_grid": "text"}
    computed = {"unit_grid": "v.unit_grid"}
    retired_status = Component.RETIRED
    class_field = "component_class"
    digests = True
    streams = True
    recheck = ("grid_stated",)
    same_stored = {"unit_grid": "unit_grid_id"}
    rechecked_warnings = ("grid_mismatch",)

    def stored_fields(self, ctx: Context) -> list[str]:
        """The class is always written: taken from 标识码 when the file has no class column."""
        names = super().stored_fields(ctx)
        return names if "component_class" in names else [names[0], "component_class", *names[1:]]

    def insert_defaults(self, ctx: Context) -> dict[str, str]:
        blank = {f.name: "''" for f in FIELDS if f.type == "text" and f.name not in ctx.mapped}
        blank.pop("component_class", None)
        defaults = {"photos": "'[]'::jsonb", **{Component._meta.get_field(n).column: e for n, e in blank.items()}}
        if "status" in ctx.mapped:
            defaults.pop("status", None)
        else:
            defaults["status"] = "'完好'"
        return defaults

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        codes, classes = values["code"], values["component_class"]
        for i, (row, code, given) in enumerate(zip(rows, codes, classes, strict=True)):
            if given is not None:
                normal = given[6:10] if len(given) == 10 and given.isdigit() else given
                if not (len(normal) == 4 and normal.isascii() and normal.isdigit()):
                    errors.append(RowError(row, "component_class", given, "class_code",
                                           f"部件类别 {given!r} must be a 4-digit class (e.g. 0101) or a 10-digit "
                                           "class code"))
                    normal = None
                elif code is not None and code[6:10] != normal:
                    errors.append(RowError(row, "code", code, "component_code",
                                           f"标识码 {code} must carry its class {normal} in digits 7–10 "
                                           f"(it has {code[6:10]})"))
                classes[i] = normal
            elif code is not None:
                classes[i] = code[6:10]

    def validate_rows(self, cur: Cursor, ctx: Context) -> None:
        """The geometry repaired and located first; then every rule on the row at once.

        Staging located every valid geometry in its grid (``importers.locate``): only a row left
        without one can hold an invalid geometry or need the SQL derivation, and when there is
        none (a clean census batch) neither runs; a streamed batch says so itself (``ctx.placed``)."""
        unplaced = not ctx.placed and has_unplaced(cur)
        if unplaced:
            repair_geometries(cur, only="unit_grid IS NULL")
        place_in_grids(cur, ctx, "layers_component", derive=unplaced)
        reject(cur, [*self.required_rules(),
                     Rule("s.component_class IS NOT NULL AND NOT EXISTS (SELECT 1 FROM layers_componentclass c "
                          "WHERE c.code = s.component_class)", "component_class", "s.component_class", "class_code",
                          "format('class %%s is not in the class table (see /api/component-classes/; local classes "
                          "use minor codes 80–99)', s.component_class)"),
                     outside_grids(f"ST_AsText({_PROBE.format(g='s.geom')}, 6)"),
                     Rule("s.unit_grid IS NOT NULL AND s.code IS NOT NULL AND left(s.code, 6) <> left(s.unit_grid, 6)",
                          "code", "s.code", "component_code",
                          "format('标识码 %%s must start with the district code %%s of its position', s.code, "
                          "left(s.unit_grid, 6))"),
                     STATED_GRID, *grid_jurisdiction(ctx)])
        check_stored_jurisdiction(cur, ctx, "layers_component", "标识码")

    def check_unchanged(self, cur: Cursor, ctx: Context) -> None:
        """An unchanged row keeps its stored grid: the stated grid and the jurisdiction are checked against it."""
        reject(cur, [STATED_GRID, *grid_jurisdiction(ctx)], SAME)
        check_stored_jurisdiction(cur, ctx, "layers_component", "标识码", SAME)

    def retire(self, cur: Cursor, ctx: Context) -> int:
        listed = f"(SELECT code, unit_grid FROM {STAGE} UNION ALL SELECT code, unit_grid FROM {SAME})"  # noqa: S608
        scope = ("c.unit_grid_id LIKE %s || '%%'" if ctx.jurisdiction else
                 f"left(c.unit_grid_id, 6) IN (SELECT DISTINCT left(unit_grid, 6) FROM {listed} l "  # noqa: S608
                 "WHERE unit_grid IS NOT NULL)")
        cur.execute(
            "UPDATE layers_component c SET status = %s, change_date = current_date, updated_at = now() "  # noqa: S608
            f"WHERE c.status <> %s AND {scope} AND NOT EXISTS (SELECT 1 FROM {listed} s WHERE s.code = c.code)",
            [self.retired_status, self.retired_status, *([ctx.jurisdiction] if ctx.jurisdiction else [])])
        return cur.rowcount


# The file's 所在单元网格 is not the grid the position lies in: a warning, the derived grid is kept.
STATED_GRID = Rule("s.grid_stated IS NOT NULL AND s.unit_grid IS NOT NULL AND s.grid_stated <> s.unit_grid",
                   "grid_stated", "s.grid_stated", "grid_mismatch",
                   "format('the file says unit grid %%s but the position lies in %%s; the derived grid is kept', "
                   "s.grid_stated, s.unit_grid)", severity="warning")


def locate_in_grids(cur: Cursor, ctx: Context, table: str) -> None:
    """Each staged row's unit grid (:func:`place_in_grids`); a position under no grid is rejected."""
    place_in_grids(cur, ctx, table)
    reject(cur, [outside_grids()])


def place_in_grids(cur: Cursor, ctx: Context, table: str, derive: bool = True) -> None:
    """Each staged row's unit grid: its stored row's when the position did not move, else derived
    (:func:`derive_unit_grids`, unless ``derive`` is false: every row has one). ``table`` is the
    kind's layer table."""
    if not ctx.empty_layer:
        cur.execute(f"UPDATE {STAGE} s SET unit_grid = t.unit_grid_id FROM {table} t "  # noqa: S608 (registry)
                    "WHERE t.code = s.code AND t.geom = s.geom")
    if derive:
        derive_unit_grids(cur)


def has_unplaced(cur: Cursor) -> bool:
    """Whether a staged row with a geometry has no unit grid (yet)."""
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE unit_grid IS NULL AND geom IS NOT NULL)")  # noqa: S608
    (unplaced,) = cur.fetchone() or (False,)
    return bool(unplaced)


def outside_grids(position: str = "ST_AsText(s.geom, 6)") -> Rule:
    """A placed row's position lies under no unit grid (rule ``inside_district``; the message shows
    ``position``, SQL over ``s``)."""
    return Rule("s.unit_grid IS NULL AND s.geom IS NOT NULL", "geometry", "ST_AsText(s.geom, 6)", "inside_district",
                f"format('position %%s lies outside every unit grid of the platform', {position})")


def grid_jurisdiction(ctx: Context) -> list[Rule]:
    """With a jurisdiction: the row's position lies in a unit grid outside it (rule ``jurisdiction``).
    The error does not show that grid: codes outside the user's area are not named."""
    if not ctx.jurisdiction:
        return []
    return [Rule("s.unit_grid IS NOT NULL AND s.unit_grid NOT LIKE %s || '%%'", "geometry", "''",
                 "jurisdiction", "'the position lies outside your jurisdiction'", (ctx.jurisdiction,))]


def check_grid_jurisdiction(cur: Cursor, ctx: Context, table: str, label: str) -> None:
    """With a jurisdiction, refuse staged rows whose position (:func:`grid_jurisdiction`), or whose
    stored row (:func:`check_stored_jurisdiction`), lies in a unit grid outside it."""
    reject(cur, grid_jurisdiction(ctx))
    check_stored_jurisdiction(cur, ctx, table, label)


def check_stored_jurisdiction(cur: Cursor, ctx: Context, table: str, label: str, source: str = STAGE) -> None:
    """With a jurisdiction, refuse rows of ``source`` whose stored row (by code) lies in a unit grid
    outside it (rule ``jurisdiction``); ``label`` names the code column in the message (which does
    not name the stored grid: codes outside the user's area are not shown)."""
    if not ctx.jurisdiction or ctx.empty_layer:
        return
    add_errors(cur, f"SELECT s.row_no, 'code', s.code, 'jurisdiction', "  # noqa: S608 (registry)
               f"format('{label} %%s is stored outside your jurisdiction', s.code), "
               f"'error' FROM {source} s JOIN {table} t ON t.code = s.code "
               "WHERE t.unit_grid_id NOT LIKE %s || '%%'", [ctx.jurisdiction])


def derive_unit_grids(cur: Cursor) -> None:
    """The unit grid of each staged position not matched to its stored twin: the lowest-coded grid
    its probe point (the point, or a point on the line/polygon) intersects. A GiST join driven by
    the grids, so each grid polygon is prepared once and probes the indexed points. Nothing when
    every row has its grid (the positions were located while staging: ``importers.locate``)."""
    if not has_unplaced(cur):
        return
    cur.execute(f"""
        CREATE TEMP TABLE import_probe ON COMMIT DROP AS
          SELECT row_no, {_PROBE.format(g='geom')} AS p FROM {STAGE} WHERE unit_grid IS NULL AND geom IS NOT NULL;
        CREATE INDEX ON import_probe USING gist (p);
        UPDATE {STAGE} s SET unit_grid = m.code
        FROM (SELECT DISTINCT ON (p.row_no) p.row_no, g.code FROM layers_unitgrid g
              JOIN import_probe p ON ST_Intersects(g.geom, p.p) ORDER BY p.row_no, g.code) m
        WHERE s.row_no = m.row_no;
        DROP TABLE import_probe;
    """)  # noqa: S608 (identifiers are module constants)


def repair_geometries(cur: Cursor, only: str = "TRUE") -> None:
    """Invalid lines/polygons (of the staged rows matching ``only``, SQL): repaired when ST_MakeValid
    yields one part of the same type (a ring touching itself → a polygon with a hole: warning);
    rejected otherwise (a bow-tie → two polygons)."""
    # Points are left out: each coordinate was found finite and in range while staging
    # (``SourceCRS.geometries_to_storage``), and such a point is valid (GEOS's test would cost time for nothing).
    cur.execute(f"UPDATE {STAGE} SET repaired = ST_MakeValid(geom) WHERE geom IS NOT NULL "  # noqa: S608 (module constants)
                f"AND GeometryType(geom) <> 'POINT' AND ({only}) AND NOT ST_IsValid(geom)")
    if not cur.rowcount:
        return
    cur.execute(f"UPDATE {STAGE} SET repaired = CASE WHEN ST_NumGeometries(x) = 1 THEN ST_GeometryN(x, 1) ELSE x END "  # noqa: S608 (identifiers are module constants)
                f"FROM (SELECT row_no AS r, ST_CollectionExtract(repaired, ST_Dimension(geom) + 1) AS x FROM {STAGE} "
                "WHERE repaired IS NOT NULL) e WHERE row_no = e.r")
    rejected_by(cur, "s.repaired IS NOT NULL AND GeometryType(s.repaired) <> GeometryType(s.geom)", "geometry",
                "ST_IsValidReason(s.geom)", "valid_geometry",
                "format('invalid %%s (%%s) that cannot be repaired into one %%s; fix it in the source', "
                "GeometryType(s.geom), ST_IsValidReason(s.geom), GeometryType(s.geom))")
    rejected_by(cur, "s.repaired IS NOT NULL AND GeometryType(s.repaired) = GeometryType(s.geom)", "geometry",
                "ST_IsValidReason(s.geom)", "valid_geometry",
                "format('invalid %%s (%%s) repaired with ST_MakeValid', GeometryType(s.geom), "
                "ST_IsValidReason(s.geom))", severity="warning")
    cur.execute(f"UPDATE {STAGE} SET geom = repaired WHERE repaired IS NOT NULL "  # noqa: S608 (identifiers are module constants)
                "AND GeometryType(repaired) = GeometryType(geom)")
