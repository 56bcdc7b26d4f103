"""Running the topology check on an area and keeping its problems as the ``topology_problems`` layer.

Each check replaces the problems of the communities it covered, in one audited transaction,
so the layer always shows the latest check of every area.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection
from django.utils import timezone
from psycopg import sql

from layers.access import Actor
from layers.editing import acting_as
from layers.models.base import SRID

from . import source, topology
from .models import TopologyProblem


@dataclass(frozen=True)
class CheckReport:
    area: str
    tolerances: topology.Tolerances
    grids: int
    communities: int
    streets: int
    problems: list[topology.Problem]
    frame: source.LocalFrame  # the metres the problem geometries are in
    seconds: float

    def as_json(self) -> dict[str, object]:
        by_street: dict[str, int] = {}
        for p in self.problems:
            by_street[p.unit[:9]] = by_street.get(p.unit[:9], 0) + 1
        return {
            "area": self.area, "checked_at": timezone.now().isoformat(), "tolerances": vars(self.tolerances),
            "grids": self.grids, "communities": self.communities, "streets": self.streets,
            "ok": not self.problems, "summary": topology.summary(self.problems),
            "by_street": by_street,
            "problems": [p.as_json() for p in self.problems], "seconds": round(self.seconds, 3),
        }


def check(area: str, tolerances: topology.Tolerances | None = None) -> CheckReport:
    """The problems of the unit grids under ``area`` (nothing stored)."""
    started = time.perf_counter()
    tolerances = tolerances or topology.Tolerances()
    data = source.load(area)
    found = topology.check(data.grids, data.communities, data.streets, tolerances)
    return CheckReport(area=area, tolerances=tolerances, grids=len(data.grids.codes),
                       communities=len(data.communities.codes), streets=len(data.streets.codes), problems=found,
                       frame=data.frame, seconds=time.perf_counter() - started)


def store(report: CheckReport, actor: Actor) -> int:
    """Replace the stored problems of ``report.area`` with the report's; the rows written."""
    table = sql.Identifier(TopologyProblem._meta.db_table)
    problems = report.problems
    shapes = report.frame.degrees(np.array([p.geom for p in problems], dtype=object))
    wkb = [None if g is None or g.is_empty else shapely.to_wkb(g) for g in shapes]
    with acting_as(actor.username), connection.cursor() as cur:
        cur.execute(sql.SQL("DELETE FROM {} WHERE unit_code LIKE %s").format(table).as_string(cur.cursor),
                    [report.area + "%"])
        cur.execute(sql.SQL(
            "INSERT INTO {} (kind, unit_code, codes, area_m2, message, geom, created_at, updated_at)"
            " SELECT k, u, left(c, 200), a, left(m, 300),"
            " ST_SetSRID(ST_GeomFromWKB(w), %s), now(), now()"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[], %s::text[], %s::bytea[])"
            "   AS p(k, u, c, a, m, w)"
        ).format(table).as_string(cur.cursor), [
            SRID, [p.kind for p in problems], [p.unit for p in problems],
            [",".join(p.codes) for p in problems], [p.area_m2 for p in problems], [p.message for p in problems], wkb,
        ])
        return cur.rowcount
