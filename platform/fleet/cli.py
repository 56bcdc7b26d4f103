"""The ``gridcity fleet`` subcommands (added to the parser by gridcity.cli).

    gridcity fleet credential create|revoke|list [NAME]   feed credentials (the key is shown once)
    gridcity fleet maintain                              day partitions ahead, retention (run daily)
    gridcity fleet simulate [--vehicles N] [--speedup K] [--backfill MIN] [--url URL] [--key KEY]
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

SIMULATOR_FEED = "simulator"


def add_commands(sub: argparse._SubParsersAction) -> None:
    fleet = sub.add_parser("fleet", help="vehicles: feed credentials, partitions, the simulator").add_subparsers(
        dest="action", required=True)
    cred = fleet.add_parser("credential", help="make, revoke or list GPS feed credentials")
    cred.add_argument("what", choices=["create", "revoke", "list"])
    cred.add_argument("name", nargs="?")
    cred.set_defaults(func=cmd_credential)
    fleet.add_parser("maintain", help="create day partitions ahead and detach those past the retention").set_defaults(
        func=cmd_maintain)
    sim = fleet.add_parser("simulate", help="drive vehicles along the roads, reporting through the ingest API")
    sim.add_argument("--vehicles", type=int, default=0, help="how many registered vehicles to drive (0: all)")
    sim.add_argument("--speedup", type=float, default=1.0, help="K: replay the backfill K times faster, then live")
    sim.add_argument("--backfill", type=float, default=None,
                     help="minutes of history to simulate first (default: 0 at speedup 1, else 60)")
    sim.add_argument("--url", default=os.environ.get("GRIDCITY_FLEET_SIMULATE_URL", "http://127.0.0.1:8000"),
                     help="the platform's address")
    sim.add_argument("--key", default=os.environ.get("GRIDCITY_FLEET_FEED_KEY"),
                     help=f"a feed key (default: a fresh key of the credential {SIMULATOR_FEED!r})")
    sim.add_argument("--seconds", type=float, help="stop after this many seconds (default: run until stopped)")
    sim.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    sim.set_defaults(func=cmd_simulate)


def cmd_credential(args: argparse.Namespace) -> int:
    from gridcity.cli import django_setup

    django_setup()
    from . import credentials
    from .models import FeedCredential

    if args.what == "list":
        for c in FeedCredential.objects.order_by("name"):
            state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "active"
            print(f"{c.name}\t{c.prefix}…\t{state}\tlast used {c.last_used_at or 'never'}")
        return 0
    if not args.name:
        print("gridcity fleet credential: name the credential", file=sys.stderr)
        return 2
    if args.what == "revoke":
        if not credentials.revoke(args.name):
            print(f"no active credential named {args.name!r}", file=sys.stderr)
            return 1
        print(f"revoked {args.name}")
        return 0
    _, key = credentials.create(args.name)
    print(key)
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    from gridcity.cli import django_setup

    django_setup()
    from .maintain import maintain

    made, detached = maintain()
    print(f"partitions ahead: {made[0]} … {made[-1]}; detached: {', '.join(detached) or 'none'}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from gridcity.cli import django_setup

    django_setup()
    from . import credentials, simulate
    from .models import Vehicle
    from .roads import demo_roads

    rows = Vehicle.objects.filter(has_gps=True).order_by("id").values_list("terminal", "kind")
    vehicles = list(rows[: args.vehicles] if args.vehicles else rows)
    if not vehicles:
        print("no vehicles with GPS are registered: load the demo (gridcity demo) or register some", file=sys.stderr)
        return 1
    key = args.key or credentials.rotate(SIMULATOR_FEED)
    sim = simulate.Simulator(demo_roads(), vehicles)
    backfill = args.backfill if args.backfill is not None else (0.0 if args.speedup == 1 else 60.0)
    parent = os.getppid()
    print(f"simulating {len(vehicles)} vehicles → {args.url}/api/gps/fixes/ (×{args.speedup:g}, "
          f"backfill {backfill:g} min)", flush=True)
    done = simulate.run(sim, simulate.http_poster(f"{args.url.rstrip('/')}/api/gps/fixes/", key),
                        speedup=args.speedup, backfill=timedelta(minutes=backfill), seconds=args.seconds,
                        keep_going=(lambda: os.getppid() == parent) if args.exit_with_parent else (lambda: True))
    print(f"{done:,} fixes acknowledged")
    return 0
