"""File headers → import fields: the default mapping (Chinese headers and the GB/T 30428 field
codes vendors use) and the user's override file.

Surveying convention (SPEC §2): X坐标 / PointX is the **northing** and Y坐标 / PointY the easting, so
they map to ``north`` and ``east``; 经度/纬度 map to ``lon``/``lat``. Plain ``x``/``y`` follow the
GIS convention (x = easting). A swap is caught by the range check of ``importers.crs``. A shapefile truncates field
names to 10 bytes (3 Chinese characters in UTF-8), so a header that is the start of exactly one
known name is taken as that name (所在单 → 所在单元网格).

An override file is JSON ``{"file header": "field", …}`` or a two-column CSV ``header,field``;
mapping a header to ``""`` ignores that column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .errors import BadMapping

COORDINATES = {
    "lon": ("经度", "lon", "lng", "longitude", "经度坐标"),
    "lat": ("纬度", "lat", "latitude", "纬度坐标"),
    "north": ("x坐标", "pointx", "纵坐标", "北坐标", "northing", "y"),
    "east": ("y坐标", "pointy", "横坐标", "东坐标", "easting", "x"),
    "wkt": ("wkt", "geometry", "geom", "几何", "空间信息"),
}

DEFAULT: dict[str, tuple[str, ...]] = {
    "code": ("标识码", "部件标识码", "objid", "bsm", "code", "编码", "编号", "设施编号", "网格编码", "单元网格编码",
             "区划代码", "行政区划代码", "代码", "xzqdm", "门牌编码", "地址编码"),
    "component_class": ("部件类别", "类别代码", "小类代码", "部件小类代码", "class", "classcode", "smallclasscode"),
    "name": ("名称", "部件名称", "objname", "name", "设施名称", "行政区划名称", "xzqmc", "标准名称"),
    "dept_admin": ("主管部门", "主管部门名称", "deptname1"),
    "dept_owner": ("权属单位", "权属单位名称", "deptname2"),
    "dept_maintain": ("养护单位", "养护单位名称", "deptname3"),
    "grid_stated": ("所在单元网格", "单元网格", "bgid", "网格"),
    "status": ("状态", "部件状态", "objstate"),
    "initial_date": ("初始时间", "初始划分日期", "ordate"),
    "change_date": ("变更时间", "变更日期", "chdate"),
    "data_source": ("数据来源", "datasource"),
    "location_desc": ("位置描述", "locatedsc"),
    "currency_date": ("现势性",),
    "scale_denominator": ("源比例尺分母", "比例尺分母"),
    "note": ("备注", "note"),
    "kind": ("类型", "设施类型", "kind"),
    "address": ("地址", "address"),
    "operator": ("运营单位", "管理单位", "operator"),
    "street_name": ("街路巷名", "街巷名称", "所在街巷", "道路名称", "street"),
    "house_number": ("门牌号", "门楼牌号", "号", "housenumber"),
    "from_number": ("起始门牌号", "起号", "fromnumber"),
    "to_number": ("终止门牌号", "止号", "tonumber"),
    "category": ("分类", "兴趣点类别", "category"),
    "aliases": ("别名", "俗称", "aliases", "alias"),
    "old_names": ("曾用名", "旧名", "oldnames"),
    **COORDINATES,
}


def normalise(header: str) -> str:
    return str(header).strip().lstrip("\ufeff").lower()


def _lookup() -> dict[str, str]:
    return {normalise(alias): field for field, aliases in DEFAULT.items() for alias in aliases}


def load_override(path: str | Path | None) -> dict[str, str]:
    """The user's mapping file as ``{header: field}`` (empty field = ignore the column)."""
    if path is None:
        return {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadMapping(f"mapping file {path.name} cannot be read as UTF-8: {exc}", field="mapping") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadMapping(f"mapping file {path.name} is not JSON: {exc}", field="mapping") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise BadMapping('a JSON mapping is an object {"file header": "field", …}', field="mapping")
        return {normalise(k): v for k, v in data.items()}
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")]
    if not all(len(r) == 2 for r in rows):
        raise BadMapping("a CSV mapping has two columns per line: file header,field", field="mapping")
    return {normalise(k): v.strip() for k, v in rows}


def resolve(headers: list[str], fields: set[str], override: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """``{field: header}`` for the ``fields`` an import kind takes, and the headers left unused.

    The override wins; then exact default names; then a unique prefix (truncated DBF names).
    """
    for field in set(override.values()) - fields - {""}:
        raise BadMapping(f"the mapping names field {field!r}, which this import does not take; "
                         f"fields: {', '.join(sorted(fields))}", field="mapping")
    known = _lookup()
    mapped: dict[str, str] = {}
    unused: list[str] = []
    for header in headers:
        key = normalise(header)
        if key in override:
            field = override[key]
        elif key in known:
            field = known[key]
        else:
            starts = {f for alias, f in known.items() if len(key) >= 2 and alias.startswith(key)}
            field = starts.pop() if len(starts) == 1 else ""
        if field in fields and field not in mapped:
            mapped[field] = header
        else:
            unused.append(header)
    return mapped, unused
