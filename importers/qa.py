"""The census QA report of SPEC §5.1, per km² cell, computed in SQL inside the import.

Cells are 1 km squares of the CGCS2000 3-degree Gauss-Krüger zone the file's centre falls in
(cell ``i_j`` = floor(easting / 1000), floor(northing / 1000)). For each cell:

- **attribute errors**: rows rejected for an attribute rule (code, class, status, date, length …);
  one wrong attribute makes the component wrong;
- **position problems**: rows outside every unit grid / the district, and rows with another row
  of the same class within 0.5 m (duplicates);
- **omissions**: components of the previous inventory in the cell (stored, not retired) that
  the file does not list, over the previous count; or, for a first census, the shortfall
  against a stated count (``expected``) over the whole file.

Each share is checked against its limit (5 % / 5 % / 5 %).

Door plates 门(楼)牌 are measured as the census rules measure them: **wrong street/estate** (a row
with any finding on 街路巷名: empty, too long, ``unknown_street`` — no stored street line bears
that name or alias — or ``old_street_name``) ≤ 3 %, **wrong number** (any finding on 门牌号:
empty, ``house_number``, ``duplicate_address``) ≤ 3 %, omissions ≤ 5 %. Their cells carry
``wrong_street`` / ``street_share`` and ``wrong_number`` / ``number_share``; the generic
``attribute_*`` / ``position_*`` keys (and the ``qa_cells`` layer's columns) hold the same two
measures, so one report shape serves every kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import Cursor, sql

from .kinds.base import ERRORS, STAGE

LIMITS = {"default": (0.05, 0.05, 0.05), "door_plates": (0.03, 0.03, 0.05)}
MEASURES = {"default": ("attribute", "position", "omission"), "door_plates": ("street", "number", "omission")}
# How the QA page names each measure.
LABELS = {"attribute": "属性错误 attribute errors", "position": "位置错误 position problems",
          "street": "街路巷错误 wrong street/estate", "number": "门牌号错误 wrong number", "omission": "遗漏 omissions"}
# kind → SQL flags over the QA row ``r`` (the two measures besides omission); default: see ``compute``
_FINDING = "EXISTS (SELECT 1 FROM {errors} e WHERE e.row_no = r.row_no AND e.field = '{field}')"
FLAGS = {"door_plates": (_FINDING.format(errors=ERRORS, field="street_name"),
                         _FINDING.format(errors=ERRORS, field="number"))}
POSITION_RULES = ("inside_district", "geometry_type", "required", "valid_geometry", "coordinate_range")
NOT_ATTRIBUTE = (*POSITION_RULES, "jurisdiction", "number")
DUPLICATE_METRES = 0.5
CELL_METRES = 1000


@dataclass
class QAReport:
    limits: tuple[float, float, float]
    measures: tuple[str, str, str] = MEASURES["default"]
    cells: list[dict] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c["pass"] for c in self.cells) and bool(self.totals.get("pass", True))

    def as_json(self) -> dict[str, object]:
        return {"limits": dict(zip(self.measures, self.limits, strict=True)),
                "pass": self.passed, "totals": self.totals, "cells": self.cells}

    @classmethod
    def from_json(cls, body: dict, kind: str) -> QAReport:
        """The report :meth:`as_json` gave, as an import job stored it (jsonb keeps no key order:
        the measures' order comes from the kind)."""
        measures = MEASURES.get(kind, MEASURES["default"])
        first, second, third = (float(body["limits"][m]) for m in measures)
        return cls((first, second, third), measures, list(body["cells"]), dict(body["totals"]))


def compute(cur: Cursor, kind_name: str, table: str, key: str, class_column: str | None,
            expected: int | None = None) -> QAReport:
    """The QA report of the staged file (call before the upsert: omissions compare with what is stored)."""
    limits = LIMITS.get(kind_name, LIMITS["default"])
    measures = MEASURES.get(kind_name, MEASURES["default"])
    cur.execute(f"SELECT 4534 + round((ST_X(ST_Centroid(ST_Extent(geom))) - 75) / 3)::int FROM {STAGE}")  # noqa: S608
    found = cur.fetchone()
    zone = found[0] if found else None
    if zone is None:
        return QAReport(limits, measures)
    same_class = "AND b.cls = r.cls" if class_column else ""
    attr_flag, pos_flag = FLAGS.get(kind_name, (
        f"EXISTS (SELECT 1 FROM {ERRORS} e WHERE e.row_no = r.row_no AND e.severity = 'error' "  # noqa: S608
        "AND e.rule <> ALL(%(not_attr)s))",
        f"EXISTS (SELECT 1 FROM {ERRORS} e WHERE e.row_no = r.row_no AND e.rule = ANY(%(pos)s)) "  # noqa: S608
        "OR EXISTS (SELECT 1 FROM import_qa_rows b WHERE b.row_no <> r.row_no "
        f"AND ST_DWithin(r.p, b.p, %(dup)s) {same_class})"))
    # the previous inventory of the surveyed area: the districts the file's rows fall in (not retired)
    scope = ("status <> '注销' AND left(unit_grid_id, 6) IN "  # noqa: S608 (identifiers are module constants)
             f"(SELECT DISTINCT left(unit_grid, 6) FROM {STAGE} WHERE unit_grid IS NOT NULL)"
             if table == "layers_component" else
             f"geom && (SELECT ST_Expand(ST_Extent(geom), 0.01) FROM {STAGE})")  # noqa: S608 (identifiers are module constants)
    cur.execute(f"""
        DROP TABLE IF EXISTS import_qa_rows;
        CREATE TEMP TABLE import_qa_rows AS
          SELECT s.row_no, s.{key} AS key, {f's.{class_column}' if class_column else 'NULL'} AS cls,
                 ST_Transform(ST_PointOnSurface(s.geom), %(zone)s) AS p
          FROM {STAGE} s WHERE s.geom IS NOT NULL;
        CREATE INDEX ON import_qa_rows USING gist (p); ANALYZE import_qa_rows;
    """, {"zone": zone})  # noqa: S608 (identifiers from the kind, never from the file)
    query = f"""
        WITH flags AS (
          SELECT r.row_no, r.p, {attr_flag} AS attr, ({pos_flag}) AS pos
          FROM import_qa_rows r
        ), cells AS (
          SELECT floor(ST_X(p) / %(cell)s)::int AS i, floor(ST_Y(p) / %(cell)s)::int AS j,
                 count(*) AS rows, count(*) FILTER (WHERE attr) AS attr, count(*) FILTER (WHERE pos) AS pos
          FROM flags GROUP BY 1, 2
        ), before AS (
          SELECT floor(ST_X(q) / %(cell)s)::int AS i, floor(ST_Y(q) / %(cell)s)::int AS j, count(*) AS previous,
                 count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.{key} = t.key)) AS omitted
          FROM (SELECT {key} AS key, ST_Transform(ST_PointOnSurface(geom), %(zone)s) AS q FROM {table}
                WHERE {scope}) t
          GROUP BY 1, 2
        )
        SELECT coalesce(c.i, b.i), coalesce(c.j, b.j), coalesce(c.rows, 0), coalesce(c.attr, 0), coalesce(c.pos, 0),
               coalesce(b.previous, 0), coalesce(b.omitted, 0),
               ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(coalesce(c.i, b.i) * %(cell)s, coalesce(c.j, b.j) * %(cell)s,
                 (coalesce(c.i, b.i) + 1) * %(cell)s, (coalesce(c.j, b.j) + 1) * %(cell)s, %(zone)s), 4490), 7)
        FROM cells c FULL JOIN before b ON b.i = c.i AND b.j = c.j ORDER BY 2, 1
    """  # noqa: S608 (identifiers from the kind and module constants, never from the file)
    cur.execute(query, {"not_attr": list(NOT_ATTRIBUTE), "pos": list(POSITION_RULES), "dup": DUPLICATE_METRES,
          "cell": CELL_METRES, "zone": zone})
    report = QAReport(limits, measures)
    sums = {"rows": 0, "attribute_errors": 0, "position_problems": 0, "previous": 0, "omitted": 0}
    for i, j, rows, attr, pos, previous, omitted, geojson in cur.fetchall():
        shares = (attr / rows if rows else 0.0, pos / rows if rows else 0.0,
                  omitted / previous if previous else 0.0)
        cell = {"cell": f"{i}_{j}", "srid": zone, "rows": rows, "attribute_errors": attr, "position_problems": pos,
                "previous": previous, "omitted": omitted, "attribute_share": round(shares[0], 4),
                "position_share": round(shares[1], 4), "omission_share": round(shares[2], 4),
                "pass": all(s <= lim for s, lim in zip(shares, limits, strict=True)), "geometry": geojson}
        if measures != MEASURES["default"]:
            for name, count, share in zip(measures[:2], (attr, pos), shares, strict=False):
                cell.update({f"wrong_{name}": count, f"{name}_share": round(share, 4)})
        report.cells.append(cell)
        for name in sums:
            sums[name] += cell[name]
    report.totals = {**sums, "cells": len(report.cells), "failed_cells": sum(not c["pass"] for c in report.cells)}
    if expected:
        shortfall = max(0, expected - sums["rows"]) / expected
        report.totals.update(expected=expected, omission_share_vs_expected=round(shortfall, 4),
                             **{"pass": shortfall <= limits[2]})
    cur.execute("DROP TABLE import_qa_rows")
    return report


def store(report: QAReport, run: str, kind: str) -> None:
    """The report's cells as features of the ``qa_cells`` layer, which shows each cell's latest QA
    of each kind: an earlier run of the same name, and earlier runs' cells of this kind where this
    run has a cell, go (every import job keeps its whole report in its summary)."""
    from django.contrib.gis.geos import GEOSGeometry
    from django.db import connection

    from .models import QACell

    QACell.objects.filter(run=run).delete()
    QACell.objects.bulk_create(QACell(
        run=run, kind=kind, cell=c["cell"], rows=c["rows"], attribute_share=c["attribute_share"],
        position_share=c["position_share"], omission_share=c["omission_share"], passed=c["pass"],
        geom=GEOSGeometry(c["geometry"], srid=4490)) for c in report.cells)
    table = sql.Identifier(QACell._meta.db_table)
    with connection.cursor() as wrapper:
        # the same cell: the same name (i_j of its zone) and the same place (centres within ~0.1 m,
        # so another zone's i_j or a re-projection's float noise never decides)
        wrapper.cursor.execute(sql.SQL(
            "DELETE FROM {table} o USING {table} n WHERE n.run = %s AND o.run <> n.run AND o.kind = n.kind "
            "AND o.cell = n.cell AND ST_DWithin(ST_Centroid(o.geom), ST_Centroid(n.geom), 1e-6)").format(
            table=table), [run])
