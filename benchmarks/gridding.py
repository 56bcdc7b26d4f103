"""Gridding speed on the demo district (5,000 unit grids), against one ST_Union of the unit grids per street.

    .venv/bin/python -m benchmarks.gridding [--repeat 3] [--area 320982]

Needs the demo city in the database (``make run`` or ``gridcity demo``). Everything it writes
runs inside one transaction that is rolled back at the end, so the database is left as it was.
For each step it prints the median of ``--repeat`` runs and its ratio to the limit:

(a) the limit: ``ST_Union`` of all unit grids of each street, on the same connection — touching
    every grid once, as any build must;
(b) the topology check: read, check (overlaps, gaps, slivers, nesting, codes), store the problems;
(c) the full evaluation-grid build from nothing (adjacency, partition, measures, ST_Union, insert);
(d) a rebuild with nothing changed (every grid kept);
(e) a sampling round (class 2, zone overlay, draw, points, store), with zone areas and evaluation
    points made by ``gridding.demo`` inside the transaction when the district has none;
(f) a 500 m hexagonal fishnet with counts of components.

Targets: topology check ≤ 5 s, full build ≤ 10 s, a sampling round ≤ 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

# Run as a script, this folder would come first on sys.path and shadow the packages it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ACTOR = SimpleNamespace(username="benchmark", role="admin", jurisdiction_code="")
T = TypeVar("T")
TARGETS = {"topology check": 5.0, "full build": 10.0, "sampling round": 1.0}


def timed(step: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median seconds of ``repeat`` (≥ 1) runs of ``step`` and the last result."""
    times, results = [], []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        results.append(step())
        times.append(time.perf_counter() - started)
    return statistics.median(times), results[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--area", default="320982", help="district or street code")
    args = parser.parse_args()

    from gridcity.cli import django_setup

    django_setup()
    from django.db import connection, transaction
    from psycopg import sql

    from gridding import building, demo, fishnet, problems, rounds
    from gridding.models import EvaluationGrid, EvaluationPoint, ZoneArea
    from layers.models import Community, UnitGrid

    if not UnitGrid.objects.filter(code__startswith=args.area).exists():
        sys.exit(f"no unit grids under {args.area}: load the demo city first (gridcity demo)")

    def limit() -> int:
        with connection.cursor() as cur:
            cur.execute(sql.SQL(
                "SELECT sum(ST_NPoints(u)) FROM (SELECT ST_Union(g.geom) AS u FROM {grids} g"
                " JOIN {communities} c ON c.code = g.community_id WHERE c.code LIKE %s GROUP BY c.street_id) s"
            ).format(grids=sql.Identifier(UnitGrid._meta.db_table),
                     communities=sql.Identifier(Community._meta.db_table)).as_string(cur.cursor), [args.area + "%"])
            return int(cur.fetchone()[0])

    def check() -> problems.CheckReport:
        report = problems.check(args.area)
        problems.store(report, ACTOR)
        return report

    def full_build() -> building.BuildReport:
        EvaluationGrid.objects.filter(code__startswith=args.area).delete()
        return building.build(args.area, ACTOR)

    results: dict[str, float] = {}
    with transaction.atomic():
        results["ST_Union per street (limit)"], _ = timed(limit, args.repeat)
        results["topology check"], report = timed(check, args.repeat)
        results["full build"], built = timed(full_build, args.repeat)
        results["rebuild, nothing changed"], kept = timed(lambda: building.build(args.area, ACTOR), args.repeat)
        if not ZoneArea.objects.exists() or not EvaluationPoint.objects.exists():
            demo.load(args.area[:6], ACTOR)
        results["sampling round"], drawn = timed(lambda: rounds.create(args.area, 2, ACTOR, seed=1), args.repeat)
        results["hex fishnet 500 m of components"], net = timed(
            lambda: fishnet.build("hex", 500, "components", args.area, ACTOR), args.repeat)
        cells = fishnet.describe(net)["cells"]
        drawn_grids = drawn.grids.count()
        transaction.set_rollback(True)

    grids = UnitGrid.objects.filter(code__startswith=args.area).count()
    print(f"area {args.area}: {grids:,} unit grids; {len(report.problems)} topology problems "
          f"({report.seconds:.2f} s of reading and checking); "
          f"{built.built} evaluation grids built, {kept.kept} kept on rebuild; "
          f"a round of {drawn_grids} grids; {cells:,} fishnet cells; median of {args.repeat} runs")
    base = results["ST_Union per street (limit)"]
    for name, seconds in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else f"   target ≤ {target:g} s: {'ok' if seconds <= target else 'MISSED'}"
        print(f"{name:<34} {seconds * 1000:9.1f} ms   {seconds / base:6.2f} × limit{verdict}")


if __name__ == "__main__":
    main()
