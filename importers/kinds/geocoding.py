"""Geocoding entities (SPEC §4, GB/T 30428.3): door plates 门(楼)牌, points of interest 兴趣点, streets
街巷 and zones 地片/区片, upserted by their code. Door plates and POIs derive their unit grid from
the position (never read from the file); streets and zones are scoped spatially.

Shared rules, each with its rule name in the error report: ``required`` (编码 and the name
fields), ``max_length``, ``unique_in_file``; ``geometry_type`` (one point per row; streets and zones below);
``name_list``: 别名 / 曾用名 are lists of names, written in one cell separated by 、 , ， ; ；
or | (or as a JSON list), each at most 100 characters; ``inside_district`` (the position lies in
no unit grid); ``jurisdiction`` (the derived grid, and the stored row being replaced, lie in the
importing user's jurisdiction). A file without an 别名 / 曾用名 column keeps the stored lists.

Door plates add ``house_number``: 门牌号 holds a number (12号, 12-1号, 甲12号); and, as
warnings, ``unknown_street`` / ``old_street_name`` (街路巷名 is no stored street's name or alias;
checked once streets are stored) and ``duplicate_address``: the same 街路巷名 + 门牌号 + 楼栋号 on
two otherwise valid rows of the file (both are stored: two codes for one address is for the surveyor to settle).
"""

from __future__ import annotations

import json
import re

from psycopg import Cursor, sql

from layers.models import StreetLine

from ..fields import Field, RowError
from ..mapping import normalise
from .admin_units import AdminUnits, _repair
from .base import ERRORS, STAGE, Context, Kind, add_errors, rejected_by
from .components import check_grid_jurisdiction, locate_in_grids
from .zones import _area

NAME_LISTS = {"aliases": "alias_list", "old_names": "old_name_list"}
_SEPARATORS = re.compile(r"[、,，;；|]")
_DIGIT = re.compile(r"[0-9０-９]")


def split_names(cell: str) -> list[str]:
    """The names in one cell: a JSON list, or names separated by 、 , ， ; ； |.

    >>> split_names("老街、旧街; 北大街")
    ['老街', '旧街', '北大街']
    """
    if cell.startswith("["):
        try:
            data = json.loads(cell)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            return [str(v).strip() for v in data if str(v).strip()]
    return [part.strip() for part in _SEPARATORS.split(cell) if part.strip()]


class NamedKind(Kind):
    """A geocoding entity with a code and name lists (别名, 曾用名) stored as JSON lists."""

    derived = {column: "jsonb" for column in NAME_LISTS.values()}

    def computed_columns(self, ctx: Context) -> dict[str, str]:
        return {name: f"coalesce(v.{column}, '[]'::jsonb)" for name, column in NAME_LISTS.items()
                if name in ctx.mapped}

    def stored_fields(self, ctx: Context) -> list[str]:
        return [name for name in super().stored_fields(ctx) if name not in NAME_LISTS]

    def insert_defaults(self, ctx: Context) -> dict[str, str]:
        model = self.layer.model
        defaults = {model._meta.get_field(f.name).column: "''" for f in self.fields
                    if f.type == "text" and f.name not in ctx.mapped and f.name not in NAME_LISTS}
        defaults.update({name: "'[]'::jsonb" for name in NAME_LISTS if name not in ctx.mapped})
        return defaults

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        for name, column in NAME_LISTS.items():
            label = next(f.label for f in self.fields if f.name == name)
            out: list[str | None] = []
            for row, cell in zip(rows, values[name], strict=True):
                names = split_names(cell) if cell is not None else []
                long = [n for n in names if len(n) > 100]
                if long:
                    errors.append(RowError(row, name, cell, "name_list",
                                           f"{label} {long[0][:20]!r}… has {len(long[0])} characters; at most 100"))
                out.append(json.dumps(names, ensure_ascii=False))
            values[column] = out


class GeocodingKind(NamedKind):
    """A point entity with a code, name lists and a derived unit grid."""

    geometry = "point"
    derived = {"unit_grid": "text", **NamedKind.derived}

    def computed_columns(self, ctx: Context) -> dict[str, str]:
        return {"unit_grid": "v.unit_grid", **super().computed_columns(ctx)}

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        locate_in_grids(cur, ctx, self.layer.table)
        check_grid_jurisdiction(cur, ctx, self.layer.table, self.fields[0].label)


DOOR_PLATE_FIELDS = (
    Field("code", "门牌编码", max_length=32),
    Field("street_name", "街路巷名", max_length=100),
    Field("number", "门牌号", max_length=20),
    Field("building", "楼栋号", max_length=50),
    Field("aliases", "别名"),
    Field("old_names", "曾用名"),
)
_DOOR_PLATE_ALIASES = {
    "street_name": ("街路巷", "街巷名", "街巷", "路名", "道路", "街路巷名称", "street_name"),
    "number": ("门牌号", "门楼牌号", "门牌", "号码", "门楼牌", "门牌号码", "门楼牌号码", "号", "housenumber",
               "house_number", "number"),
    "building": ("楼栋号", "楼栋", "楼号", "幢号", "栋号", "building"),
}


class DoorPlates(GeocodingKind):
    name = "door_plates"
    layer_name = "door_plates"
    title = "door plates"
    fields = DOOR_PLATE_FIELDS
    required = ("code", "street_name", "number")
    aliases = {normalise(a): f for f, names in _DOOR_PLATE_ALIASES.items() for a in names}

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        super().prepare(values, rows, errors)
        numbers = values["number"]
        for i, (row, number) in enumerate(zip(rows, numbers, strict=True)):
            if number is not None and not _DIGIT.search(number):
                errors.append(RowError(row, "number", number, "house_number",
                                       f"门牌号 {number!r} holds no number (e.g. 12号, 12-1号)"))
                numbers[i] = None

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        add_errors(cur, f"""
            SELECT row_no, 'number', number, 'duplicate_address',
                   format('%%s%%s%%s appears on %%s rows of the file (rows %%s)', street_name, number,
                          coalesce(building, ''), n, rows_list), 'warning'
              FROM (SELECT row_no, street_name, number, building, count(*) OVER w AS n,
                           string_agg(row_no::text, ', ') OVER w AS rows_list FROM {STAGE}
                     WHERE street_name IS NOT NULL AND number IS NOT NULL AND NOT EXISTS
                           (SELECT 1 FROM {ERRORS} e WHERE e.row_no = {STAGE}.row_no AND e.severity = 'error')
                    WINDOW w AS (PARTITION BY street_name, number, coalesce(building, '') ORDER BY row_no
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) d
             WHERE n > 1""")  # noqa: S608 (module constants)
        check_street_names(cur)


def check_street_names(cur: Cursor) -> None:
    """Warnings (for the census QA's wrong-street share), when streets are stored at all:
    ``unknown_street`` — 街路巷名 is no stored street's name, alias or old name; ``old_street_name``
    — it is a stored street's old name only (the plate carries an outdated name)."""
    streets = StreetLine._meta.db_table
    current = "(t.name = s.street_name OR t.aliases ? s.street_name)"
    rejected_by(cur, f"s.street_name IS NOT NULL AND EXISTS (SELECT 1 FROM {streets}) AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {streets} t WHERE {current} OR t.old_names ? s.street_name)", "street_name",
                "s.street_name", "unknown_street",
                "format('街路巷名 %%s is the name of no stored street (nor an alias or old name of one)', "
                "s.street_name)", severity="warning")
    rejected_by(cur, f"s.street_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {streets} t WHERE {current}) "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {streets} t WHERE t.old_names ? s.street_name)", "street_name",
                "s.street_name", "old_street_name",
                f"format('街路巷名 %%s is an old name of %%s', s.street_name, (SELECT string_agg(t.name, '、') "  # noqa: S608
                f"FROM {streets} t WHERE t.old_names ? s.street_name))", severity="warning")


POI_FIELDS = (
    Field("code", "编码", max_length=32),
    Field("name", "名称", max_length=100),
    Field("category", "类别", max_length=50),
    Field("address", "地址", max_length=200),
    Field("aliases", "别名"),
    Field("old_names", "曾用名"),
)
_POI_ALIASES = {
    "code": ("兴趣点编码", "poi编码", "poi_id", "poiid"),
    "name": ("兴趣点名称", "poi名称", "标准名称", "poi_name"),
    "category": ("类别", "类型", "分类", "兴趣点类型", "poi类别", "poi类型", "type"),
}


class POIs(GeocodingKind):
    name = "pois"
    layer_name = "pois"
    title = "points of interest"
    fields = POI_FIELDS
    required = ("code", "name")
    aliases = {normalise(a): f for f, names in _POI_ALIASES.items() for a in names}


class SpatialKind(NamedKind):
    """Streets and zones: no unit grid; the importing user's jurisdiction is a polygon the shape (and
    the stored shape it replaces) must lie in, with 1 m of slack (as ``layers.access``)."""

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        if not ctx.jurisdiction:
            return
        area = _area(ctx.jurisdiction)
        rejected_by(cur, f"s.geom IS NOT NULL AND NOT coalesce(ST_CoveredBy(s.geom, {area}), false)", "geometry",
                    "''", "jurisdiction",
                    sql.SQL("format('the shape lies (partly) outside your jurisdiction %%s', {}::text)").format(
                        sql.Literal(ctx.jurisdiction)).as_string(cur), [ctx.jurisdiction])
        add_errors(cur, f"SELECT s.row_no, 'code', s.code, 'jurisdiction', "  # noqa: S608 (registry)
                   f"format('{self.fields[0].label} %%s is stored (partly) outside your jurisdiction', s.code), "
                   f"'error' FROM {STAGE} s JOIN {self.layer.table} t ON t.code = s.code "
                   f"WHERE NOT coalesce(ST_CoveredBy(t.geom, {area}), false)", [ctx.jurisdiction])


STREET_FIELDS = (
    Field("code", "街巷编码", max_length=32),
    Field("name", "街巷名称", max_length=100),
    Field("aliases", "别名"),
    Field("old_names", "曾用名"),
    Field("left_from", "左侧起始门牌号", "int"),
    Field("left_to", "左侧终止门牌号", "int"),
    Field("right_from", "右侧起始门牌号", "int"),
    Field("right_to", "右侧终止门牌号", "int"),
)
SIDES = (("left_from", "left_to"), ("right_from", "right_to"))
_STREET_ALIASES = {
    "code": ("街巷编码", "街路巷编码", "道路编码"),
    "name": ("街路巷名", "街巷名称", "街巷名", "道路名称", "路名", "街路巷名称", "标准名称", "street_name"),
    "left_from": ("左侧起始门牌号", "左起始门牌号", "左起始门牌", "左起号", "左起", "left_from"),
    "left_to": ("左侧终止门牌号", "左终止门牌号", "左终止门牌", "左止号", "左止", "left_to"),
    "right_from": ("右侧起始门牌号", "右起始门牌号", "右起始门牌", "右起号", "右起", "right_from"),
    "right_to": ("右侧终止门牌号", "右终止门牌号", "右终止门牌", "右止号", "右止", "right_to"),
    "from_number": ("起始门牌号", "起始门牌", "起号", "from_number"),
    "to_number": ("终止门牌号", "终止门牌", "止号", "to_number"),
}


class StreetLines(SpatialKind):
    """Streets 街巷: centre lines with house-number ranges per side, upserted by 街巷编码.

    Rules besides the shared ones: ``geometry_type`` (one line per row); ``valid_geometry`` (a line
    of fewer than two distinct points); ``number_range`` (a side's range needs both numbers). A
    file with one range and no sides (起始门牌 / 终止门牌) gives that range to both sides; a side's
    own column wins.
    """

    name = "street_lines"
    layer_name = "street_lines"
    title = "streets"
    fields = STREET_FIELDS
    extra_fields = (Field("from_number", "起始门牌号", "int"), Field("to_number", "终止门牌号", "int"))
    geometry = "line"
    required = ("code", "name")
    aliases = {normalise(a): f for f, names in _STREET_ALIASES.items() for a in names}

    def stored_fields(self, ctx: Context) -> list[str]:
        stored = super().stored_fields(ctx)
        if {"from_number", "to_number"} & ctx.mapped:
            stored += [n for side in SIDES for n in side if n not in stored]
        return stored

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        super().prepare(values, rows, errors)
        for side in SIDES:
            for name, fallback in zip(side, ("from_number", "to_number"), strict=True):
                values[name] = [own if own is not None else common
                                for own, common in zip(values[name], values[fallback], strict=True)]

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        rejected_by(cur, "s.geom IS NOT NULL AND NOT ST_IsValid(s.geom)", "geometry", "ST_IsValidReason(s.geom)",
                    "valid_geometry", "format('invalid line (%%s); fix it in the source', ST_IsValidReason(s.geom))")
        for low, high in SIDES:
            where = (f"(s.{low} IS NULL) <> (s.{high} IS NULL) AND NOT EXISTS (SELECT 1 FROM {ERRORS} e "  # noqa: S608
                     f"WHERE e.row_no = s.row_no AND e.field IN ('{low}', '{high}'))")  # (module constants)
            rejected_by(cur, where, low,
                        f"coalesce(s.{low}, s.{high})::text", "number_range",
                        "'a house-number range needs both its first and its last number'")


PLACE_ZONE_FIELDS = (
    Field("code", "地片编码", max_length=32),
    Field("name", "地片名称", max_length=100),
    Field("aliases", "别名"),
    Field("old_names", "曾用名"),
)
_ZONE_ALIASES = {
    "code": ("地片编码", "区片编码", "片区编码"),
    "name": ("地片名称", "区片名称", "片区名称", "小区名称", "标准名称"),
}


class PlaceZones(SpatialKind):
    """Zones 地片/区片: named areas (estates, quarters), upserted by 地片编码.

    Rules besides the shared ones: ``geometry_type`` (polygons or multipolygons, stored as
    multipolygons); ``valid_geometry`` (an invalid shape is reduced to its polygonal part by
    ST_MakeValid, a warning; rejected when nothing polygonal is left).
    """

    name = "place_zones"
    layer_name = "place_zones"
    title = "zones"
    fields = PLACE_ZONE_FIELDS
    geometry = "polygon"
    required = ("code", "name")
    aliases = {normalise(a): f for f, names in _ZONE_ALIASES.items() for a in names}

    check_geometries = AdminUnits.check_geometries

    def validate(self, cur: Cursor, ctx: Context) -> None:
        _repair(cur)
        super().validate(cur, ctx)
