"""The ``gridcity`` subcommand of this package (added to the parser by gridcity.cli).

    gridcity geocode FILE --column 地址 [--out OUT] [--crs EPSG:4490|EPSG:4326|gcj02|bd09] [--area CODE]
                     [--user NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gridcity geocode`` on the ``gridcity`` parser."""
    geo = sub.add_parser("geocode", help="geocode a CSV/XLSX column of addresses (adds lon, lat, level, score, "
                                         "grid code)")
    geo.add_argument("file", type=Path, help="the ledger: .csv (UTF-8 or GBK) or .xlsx")
    geo.add_argument("--column", required=True, help="the column holding the addresses, e.g. 地址")
    geo.add_argument("--out", type=Path, help="where to write the result (default: FILE.geocoded.csv/.xlsx)")
    geo.add_argument("--crs", default="EPSG:4490", help="CRS of the lon/lat written: EPSG:4490 (default), EPSG:4326, "
                                                       "gcj02, bd09")
    geo.add_argument("--area", default="", help="district, street or community code to search in")
    geo.add_argument("--user", help="geocode as this user (their jurisdiction applies)")
    geo.set_defaults(func=cmd_geocode)


def cmd_geocode(args: argparse.Namespace) -> int:
    from gridcity.cli import command_actor, django_setup

    django_setup()
    from tqdm import tqdm

    from . import batch, coords, lookup
    from .views import parse_area

    crs = coords.parse_crs(args.crs, field="--crs")
    area = parse_area(args.area)
    frame = batch.read(args.file, args.column)
    actor = command_actor(args.user)
    with tqdm(total=len(frame), unit="row", desc=f"geocode {args.file.name}", file=sys.stderr) as bar, \
            lookup.cursor() as cur:
        result, unmatched = batch.geocode_frame(cur, frame, args.column, actor, crs, area, bar.update)
    out = args.out or batch.output_path(args.file)
    batch.write(result, out)
    found = len(frame) - len(unmatched)
    print(f"{len(frame):,} rows: {found:,} located, {len(unmatched):,} found nothing → {out}")
    if unmatched:
        report = out.with_name(f"{out.stem}.unmatched.csv")
        batch.write_unmatched(unmatched, report)
        print(f"rows that found nothing (row, address, reason): {report}")
        for u in unmatched[:10]:
            print(f"  row {u.row}: {u.address!r}: {u.reason}")
        if len(unmatched) > 10:
            print(f"  … {len(unmatched) - 10:,} more in the report")
    return 0
