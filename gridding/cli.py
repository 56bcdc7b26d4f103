"""The ``gridcity grids …`` subcommands, registered on the platform's parser by :func:`add_commands`.

    gridcity grids check [--area CODE | --street CODE] [--json] [--overlap-m2 …]   topology check
    gridcity grids build-evaluation [--area CODE]          (re)build evaluation grids, keeping unchanged ones
    gridcity grids move UNIT_GRID --to EVAL_CODE            move a unit grid to a neighbouring evaluation grid
    gridcity grids demo-zones [--district 320982]          zone areas A/B/C and evaluation points for the demo
    gridcity grids sample [--class 2] [--seed N] [--area CODE] [--points-per-grid 10]   a sampling round
    gridcity grids replay ROUND                            draw a round again from its seed and compare
    gridcity grids export ROUND OUT.csv|OUT.xlsx           a round as a table for the inspectors
    gridcity grids fishnet --shape hex --size 500 --layer components [--area CODE]

Each takes ``--user NAME`` to act as that account (its role and jurisdiction apply); without it
the platform itself acts, as an admin. The platform's CLI hands in how Django is configured and who
acts (see :func:`add_commands`), so this package never imports the platform.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parser is built before Django is configured: no model may load at import
    from layers.access import Actor


def _setup(args: argparse.Namespace) -> Any:
    args.setup()
    from .scope import require_planner

    actor = args.actor_for(args.user)
    require_planner(actor)
    return actor


def cmd_check(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import problems, topology
    from .scope import area_for

    area = area_for(actor, args.street or args.area)
    tolerances = topology.Tolerances(overlap_m2=args.overlap_m2, gap_m2=args.gap_m2, outside_m2=args.outside_m2,
                                     sliver_m2=args.sliver_m2, sliver_thinness=args.sliver_thinness)
    report = problems.check(area, tolerances)
    problems.store(report, actor)
    body = report.as_json()
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(f"{report.grids:,} unit grids in {report.communities} communities, {report.streets} streets "
              f"checked in {report.seconds:.2f} s")
        for kind, count in body["summary"].items():  # type: ignore[attr-defined]
            print(f"  {topology.KINDS[kind]:<10} {kind:<18} {count}")
        for p in report.problems[: args.limit]:
            print(f"  - {p.message}")
    return 0 if not report.problems else 3


def cmd_build(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import building
    from .scope import area_for

    report = building.build(area_for(actor, args.area, lengths=(6, 9)), actor)
    print(f"{report.unit_grids:,} unit grids → {report.kept} evaluation grids kept, {report.built} built, "
          f"{len(report.retired)} retired in {report.seconds:.2f} s")
    for code, flags in sorted(report.flagged.items()):
        print(f"  {code}: {', '.join(flags)}")
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import building
    from .scope import area_for

    area_for(actor, args.to[:9], lengths=(9,), field="to")
    result = building.move(args.unit_grid, args.to, actor)
    for grid in result["grids"]:  # type: ignore[attr-defined]
        print(f"{grid['code']}: {len(grid['members'])} unit grids, {grid['area_m2'] / 1e6:.3f} km², "
              f"compactness {grid['compactness']:.3f} {grid['flags']}")
    return 0


def cmd_demo_zones(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import demo

    counts = demo.load(args.district, actor)
    print("added: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from django.conf import settings

    from . import rounds
    from .scope import area_for

    started = time.perf_counter()
    city_class = settings.GRIDCITY_CITY_CLASS if args.city_class is None else args.city_class
    done = rounds.create(area_for(actor, args.area, lengths=(6, 9)), city_class, actor, seed=args.seed,
                         points_per_grid=args.points_per_grid)
    body = rounds.describe(done)
    print(f"round {done.number} of {done.area_code or 'the platform'} (id {done.pk}), class {done.city_class}, "
          f"seed {done.seed}, in {time.perf_counter() - started:.2f} s")
    points: list[dict[str, Any]] = body["points"]  # type: ignore[assignment]
    for grid in body["grids"]:  # type: ignore[attr-defined]
        n = len([p for p in points if p["evaluation_grid"] == grid["evaluation_grid"]])
        print(f"  {grid['zone_type']} {grid['evaluation_grid']} (cycle {grid['cycle']}): {n} points")
    for warning in done.warnings:
        print(f"  ! {warning}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import rounds

    result = rounds.replay(rounds.get(actor, args.round))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["same_grids"] and result["same_points"] else 3


def cmd_export(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import export, rounds

    found = rounds.get(actor, args.round)
    out = Path(args.out)
    fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
    out.write_bytes(export.export(found, fmt))
    print(f"{out}: round {found.number} of {found.area_code or 'the platform'} ({fmt})")
    return 0


def cmd_fishnet(args: argparse.Namespace) -> int:
    actor = _setup(args)
    from . import fishnet
    from .scope import area_for

    area = area_for(actor, args.area)
    if not area:
        from layers.models import District

        area = District.objects.order_by("code").values_list("code", flat=True).first() or ""
    made = fishnet.build(args.shape, args.size, args.layer, area, actor)
    body = fishnet.describe(made)
    print(f"fishnet {made.pk}: {body['cells']:,} {args.shape} cells of {args.size:g} m over {area}, "
          f"{body['features']:,} {args.layer}, densest {body['max_density_km2']:.1f}/km²; layer {body['features_url']}")
    return 0


def add_commands(sub: argparse._SubParsersAction, setup: Callable[[], None],
                 actor_for: Callable[[str | None], Actor]) -> None:
    """Register ``gridcity grids …`` on the ``gridcity`` parser: ``setup`` configures Django, ``actor_for``
    turns ``--user`` into who acts (the named account, or the platform itself for ``None``)."""
    grids = sub.add_parser("grids", help="unit-grid topology, evaluation grids, sampling, fishnets").add_subparsers(
        dest="action", required=True)

    def command(name: str, func: Any, help: str) -> argparse.ArgumentParser:
        p = grids.add_parser(name, help=help)
        p.add_argument("--user", help="act as this account (its role and jurisdiction apply)")
        p.set_defaults(func=func, setup=setup, actor_for=actor_for)
        return p

    check = command("check", cmd_check, "check unit grids: overlaps, gaps, slivers, nesting, codes")
    check.add_argument("--area", help="district, street or community code (default: everything you may see)")
    check.add_argument("--street", help="a street code (same as --area)")
    check.add_argument("--json", action="store_true", help="print the full JSON report")
    check.add_argument("--limit", type=int, default=50, help="problems listed in the text report")
    check.add_argument("--overlap-m2", type=float, default=1.0)
    check.add_argument("--gap-m2", type=float, default=1.0)
    check.add_argument("--outside-m2", type=float, default=1.0)
    check.add_argument("--sliver-m2", type=float, default=50.0)
    check.add_argument("--sliver-thinness", type=float, default=0.1)
    build = command("build-evaluation", cmd_build, "(re)build evaluation grids from unit grids")
    build.add_argument("--area", help="district or street code")
    move = command("move", cmd_move, "move a unit grid into a neighbouring evaluation grid")
    move.add_argument("unit_grid")
    move.add_argument("--to", required=True, help="the 12-digit evaluation grid code")
    zones = command("demo-zones", cmd_demo_zones, "zone areas and evaluation points for the demo district")
    zones.add_argument("--district", default="320982")
    sample = command("sample", cmd_sample, "draw a sampling round")
    sample.add_argument("--class", dest="city_class", help="city class 1, 2 or 3 (default: GRIDCITY_CITY_CLASS)")
    sample.add_argument("--seed", type=int, help="random seed (default: a fresh one, recorded)")
    sample.add_argument("--area", help="district or street code")
    sample.add_argument("--points-per-grid", type=int, default=10)
    replay = command("replay", cmd_replay, "draw a round again from its seed and compare")
    replay.add_argument("round", type=int)
    export = command("export", cmd_export, "write a round as CSV or XLSX")
    export.add_argument("round", type=int)
    export.add_argument("out", help="file ending in .csv or .xlsx")
    net = command("fishnet", cmd_fishnet, "a square or hex fishnet with counts of a layer per cell")
    net.add_argument("--shape", choices=["square", "hex"], default="hex")
    net.add_argument("--size", type=float, default=500.0, help="cell size in metres (square side, hexagon edge)")
    net.add_argument("--layer", default="components")
    net.add_argument("--area", help="district, street or community code (default: the first district)")
