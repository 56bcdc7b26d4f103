"""A sampling round as a table for the inspectors: CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX.

One row per drawn evaluation point, plus one per drawn grid that holds none, with the point's
position (a line's or area's point on surface) in EPSG:4490 longitude/latitude.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from layers.spreadsheets import safe_rows

from . import sampling
from .models import RoundGrid, SamplingRound

HEADER = ["轮次", "抽样范围", "城市类别", "随机种子", "评价网格编码", "区域类型", "抽样周期", "点位编码",
          "点位类型代码", "点位类型", "点位名称", "经度", "纬度"]
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def rows(r: SamplingRound) -> list[list[object]]:
    head = [r.number, r.area_code, r.city_class, r.seed]
    points: dict[str, list] = {}
    for p in r.points.order_by("evaluation_grid", "point_type", "point_code"):
        where = p.geom.point_on_surface
        points.setdefault(p.evaluation_grid, []).append(
            [p.point_code, p.point_type, sampling.POINT_TYPES.get(p.point_type, ""), p.name,
             round(where.x, 7), round(where.y, 7)])
    out = []
    grid: RoundGrid
    for grid in r.grids.order_by("zone_type", "evaluation_grid"):
        for point in points.get(grid.evaluation_grid) or [[""] * 6]:
            out.append([*head, grid.evaluation_grid, grid.zone_type, grid.cycle, *point])
    return out


def to_csv(r: SamplingRound) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(safe_rows(rows(r)))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def to_xlsx(r: SamplingRound) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"第{r.number}轮抽样"
    sheet.append(HEADER)
    for row in safe_rows(rows(r)):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(r: SamplingRound, fmt: str) -> bytes:
    return to_xlsx(r) if fmt == "xlsx" else to_csv(r)
