"""The ``gridcity`` subcommands of this package, registered on the platform's parser by :func:`add_commands`.

    gridcity import {kind} FILE [--crs …] [--mapping …] [--encoding …] [--layer …]
                    [--dry-run] [--retire-missing] [--qa [--expected N]] [--user NAME] [--report DIR]

The platform's CLI hands in how Django is configured and who acts, so this package never imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built before Django is configured: no model may load at import
    from layers.access import Actor


def add_commands(sub: argparse._SubParsersAction, setup: Callable[[], None],
                 actor_for: Callable[[str | None], Actor]) -> None:
    """Register this package's subcommands on the ``gridcity`` parser: ``setup`` configures Django,
    ``actor_for`` turns ``--user`` into who acts (the named account, or the platform itself for ``None``)."""
    imp = sub.add_parser("import", help="import a census file (Shapefile zip, GeoPackage, GeoJSON, CSV, XLSX)")
    imp.add_argument("kind", help="what the file holds: components, unit_grids, facilities, admin_units, zones "
                                  "(see README, Import)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--crs", help="the file's CRS when it does not say (or to override): EPSG:4490, EPSG:4326, "
                                   "EPSG:4491–4554 (CGCS2000 Gauss-Krüger), gcj02, bd09")
    imp.add_argument("--mapping", type=Path, help="JSON or CSV mapping of file headers to fields")
    imp.add_argument("--encoding", help="text encoding of a shapefile/CSV without .cpg (default: detect UTF-8/GBK)")
    imp.add_argument("--layer", help="the layer of a multi-layer GeoPackage")
    imp.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    imp.add_argument("--retire-missing", action="store_true",
                     help="a full re-survey: mark stored components absent from the file 注销 (never deleted)")
    imp.add_argument("--qa", action="store_true", help="compute the census QA report (JSON, HTML, qa_cells layer)")
    imp.add_argument("--expected", type=int, help="the stated number of features, for omissions of a first census")
    imp.add_argument("--user", help="import as this user (their role and jurisdiction apply)")
    imp.add_argument("--report", type=Path, default=Path("."), help="folder for the error report (CSV + JSON)")
    imp.set_defaults(func=cmd_import, setup=setup, actor_for=actor_for)


def cmd_import(args: argparse.Namespace) -> int:
    args.setup()
    from tqdm import tqdm

    from . import load, report

    options = load.Options(crs=args.crs, mapping=args.mapping, encoding=args.encoding, layer=args.layer,
                           dry_run=args.dry_run, retire_missing=args.retire_missing, qa=args.qa,
                           expected=args.expected)
    with tqdm(unit="row", desc=f"{args.kind} {args.file.name}", file=sys.stderr) as bar:
        result = load.run(args.kind, args.file, args.actor_for(args.user), options, progress=bar.update)
    csv_path, json_path = report.write(result, args.report, args.file.stem)
    s = result.summary()
    print(("DRY RUN, nothing written — " if args.dry_run else "")
          + f"{s['rows']:,} rows: {s['inserted']:,} inserted, {s['updated']:,} updated, {s['unchanged']:,} unchanged"
          + (f" ({s['recognised']:,} recognised by digest)" if s["recognised"] else "")
          + f", {s['rejected']:,} rejected, {s['retired']:,} retired, "
          + (f"{s['deleted']:,} replaced zones deleted, " if s["deleted"] else "")
          + f"{s['warnings']:,} warnings (CRS {s['crs']})")
    if result.errors:
        print(f"error report: {csv_path} and {json_path}")
    if result.qa is not None:
        print(f"QA: {'PASS' if result.qa.passed else 'FAIL'} ({result.qa.totals.get('failed_cells', 0)} failing km² "
              f"cells); {json_path} and {json_path.with_name(args.file.stem + '.qa.html')}")
    return 0 if not result.rejected else 3
