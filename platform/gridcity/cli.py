"""``gridcity``: the platform's operations from the command line.

    gridcity db start|stop|status|url|owner-url
                                        the embedded PostgreSQL + PostGIS cluster (url: the app's login,
                                        owner-url: the owner role's, for migrations)
    gridcity migrate                    create or update the schema, as the owner role
    gridcity demo [--if-empty]          load the seeded demo district and the demo accounts
    gridcity serve [--port 8000] [--simulate]
                                        serve the platform (gunicorn) with job workers beside it;
                                        --simulate also drives the demo fleet
    gridcity worker [--once]            run background jobs (imports, offline packages, evaluation builds)
    gridcity fleet credential|maintain|simulate
                                        GPS feed credentials, fix partitions, the fleet simulator
    gridcity tiles export --area CODE --layers a,b --zooms 12-18 OUT.mbtiles
                                        an offline package (MBTiles 1.3) for mobile clients
    gridcity tiles clear                drop every cached tile
    gridcity geocode FILE --column 地址  geocode a CSV/XLSX column of addresses
    gridcity manage …                   any Django management command
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, cast

from fleet import cli as fleet_cli
from geocoding import cli as geocoding_cli
from gridding import cli as gridding_cli
from importers import cli as importers_cli

DEFAULT_SETTINGS = "gridcity.settings.dev"


def django_setup() -> None:
    """Configure Django (default settings: development) before a command touches models."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()


def cmd_db(args: argparse.Namespace) -> int:
    from .cluster import Cluster

    if os.environ.get("DATABASE_URL"):
        print("DATABASE_URL is set: the embedded cluster is not used.")
        return 0
    cluster = Cluster.default()
    if args.action == "start":
        cluster.start()
        print(f"PostgreSQL + PostGIS running in {cluster.datadir} on 127.0.0.1:{cluster.credentials()['port']}")
    elif args.action == "stop":
        cluster.stop()
        print("PostgreSQL stopped")
    elif args.action == "status":
        print("running" if cluster.running() else "stopped")
        return 0 if cluster.running() else 1
    elif args.action == "owner-url":
        print(cluster.url(role="owner"))
    else:
        print(cluster.url(role="app"))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Migrate as the owner role (``GRIDCITY_OWNER_DATABASE_URL``); the migrations then grant the app
    role (``DATABASE_URL``'s) what it may do (``audit/sql/grants.sql``)."""
    django_setup()
    from django.core.management import call_command

    from .roles import use_owner

    use_owner()
    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    django_setup()
    from democity.load import demo_loaded, load_demo

    if args.if_empty and demo_loaded():
        print("demo city already loaded")
        return 0
    counts = load_demo(seed=args.seed, scale=args.scale)
    print("demo city loaded: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    django_setup()
    from django.conf import settings
    from django.db import connections

    from accounts.demo import DEMO_PASSWORD, DEMO_USERNAMES

    from .roles import check_app_role

    host = args.host
    if settings.GRIDCITY_DEMO:
        if host not in ("127.0.0.1", "localhost", "::1"):
            print("demo mode serves on localhost only (the demo accounts have a published password)",
                  file=sys.stderr)
            return 2
        print("DEMO MODE — bound to localhost only; accounts (password "
              f"'{DEMO_PASSWORD}'): {', '.join(DEMO_USERNAMES)}")
    check_app_role()
    connections.close_all()  # gunicorn's workers open their own
    print(f"gridcity at http://{host}:{args.port}/  (API: /api/layers/, schema: /api/schema/)", flush=True)
    if args.simulate:
        # The fleet simulator as a child that ends with the server.
        import subprocess

        subprocess.Popen([sys.executable, "-m", "gridcity.cli", "fleet", "simulate", "--exit-with-parent",
                          "--url", f"http://{host}:{args.port}"])
    argv = gunicorn_argv(args)
    if args.job_workers == 0:
        os.execv(argv[0], argv)
    from .processes import run_together

    print(f"{args.job_workers} job worker(s) beside it; Ctrl-C stops all", flush=True)
    worker = [sys.executable, "-m", "gridcity.cli", "worker"]
    return run_together([argv, *[worker] * args.job_workers])


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    """gunicorn run by this interpreter (``python -m gunicorn``), so serving works whether or not the
    virtualenv's bin folder is on PATH."""
    return [sys.executable, "-m", "gunicorn", "gridcity.wsgi:application", "--bind", f"{args.host}:{args.port}",
            "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
            "--access-logfile", "-", "--timeout", "120"]


def cmd_worker(args: argparse.Namespace) -> int:
    """Run procrastinate's worker on its own pooled connections (LISTEN/NOTIFY), one job at a time:
    jobs are CPU-bound Python, so more workers are more processes, not threads."""
    django_setup()
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.django_connector import DjangoConnector

    queues = [q for q in (args.queues or "").split(",") if q] or None
    connector = cast(DjangoConnector, app.connector)  # the web process's: Django's connection, no LISTEN
    with app.replace_connector(connector.get_worker_connector()):
        app.run_worker(queues=queues, wait=not args.once, concurrency=1, name=f"gridcity-{os.getpid()}")
    return 0


def cmd_tiles(args: argparse.Namespace) -> int:
    django_setup()
    from pathlib import Path

    from django.db import connection
    from tqdm import tqdm

    from tiles import mbtiles

    if args.action == "clear":
        with connection.cursor() as cur:
            cur.execute("DELETE FROM tiles_cache")
            print(f"dropped {cur.rowcount} cached tiles")
        return 0
    actor = command_actor(args.user)
    plan = mbtiles.plan(args.area, args.layers, mbtiles.parse_zooms(args.zooms), actor)
    with tqdm(total=len(plan.tiles), unit="tile", desc=f"{args.area} z{args.zooms}") as bar:
        package = mbtiles.export(plan, Path(args.out), actor, progress=bar.update)
    print(f"{package.path}: {package.tiles} tiles with data, data version {package.data_version}")
    return 0


def command_actor(username: str | None) -> Any:
    """The user a command acts as: a named account (its role and jurisdiction apply) or the platform itself."""
    from types import SimpleNamespace

    from accounts.models import User
    from layers.access import WHOLE_PLATFORM

    if username is None:
        return SimpleNamespace(username="cli", role="admin", jurisdiction_code=WHOLE_PLATFORM)
    return User.objects.get(username=username)


def cmd_manage(args: argparse.Namespace) -> int:
    """A Django command as the app role; ``migrate`` as the owner role, as ``gridcity migrate``."""
    django_setup()
    from django.core.management import execute_from_command_line

    from .roles import use_owner

    if args.rest[:1] == ["migrate"]:
        use_owner()

    execute_from_command_line(["gridcity manage", *args.rest])
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridcity", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the embedded PostgreSQL + PostGIS cluster")
    db.add_argument("action", choices=["start", "stop", "status", "url", "owner-url"])
    db.set_defaults(func=cmd_db)
    mig = sub.add_parser("migrate", help="create or update the schema")
    mig.add_argument("--verbosity", type=int, default=1)
    mig.set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="load the seeded demo district (code 320982) and demo accounts")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the demo is already loaded")
    demo.add_argument("--seed", type=int, default=320982)
    demo.add_argument("--scale", type=float, default=1.0, help="fraction of the full district's components")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="serve the platform with gunicorn")
    serve.add_argument("--host", default=os.environ.get("GRIDCITY_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("GRIDCITY_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("GRIDCITY_WORKERS", "3")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("GRIDCITY_THREADS", "4")),
                       help="threads per worker (a browser keeps idle connections open)")
    serve.add_argument("--job-workers", type=int, default=int(os.environ.get("GRIDCITY_JOB_WORKERS", "1")),
                       help="job worker processes started beside the web server (0: none, run `gridcity worker`)")
    serve.add_argument("--simulate", action="store_true", default=os.environ.get("GRIDCITY_FLEET_SIMULATE") == "1",
                       help="also run the fleet simulator against this server (make run does, in demo mode)")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run background jobs (imports, offline packages, evaluation builds)")
    worker.add_argument("--once", action="store_true", help="run what is queued, then exit")
    worker.add_argument("--queues", help="comma-separated queues to take jobs from (default: all)")
    worker.set_defaults(func=cmd_worker)
    tiles = sub.add_parser("tiles", help="vector tiles: offline packages, cache").add_subparsers(
        dest="action", required=True)
    export = tiles.add_parser("export", help="write an MBTiles offline package")
    export.add_argument("out", help="the .mbtiles file to write")
    export.add_argument("--area", required=True, help="district, street or community code")
    export.add_argument("--layers", required=True, help="comma-separated layer names, e.g. unit_grids,components")
    export.add_argument("--zooms", default="12-18", help="zoom range, e.g. 12-18")
    export.add_argument("--user", help="export as this user (their role and jurisdiction apply)")
    export.set_defaults(func=cmd_tiles)
    tiles.add_parser("clear", help="drop every cached tile").set_defaults(func=cmd_tiles)
    for package in (importers_cli, gridding_cli):  # infrastructure's commands, handed what they need of the platform
        package.add_commands(sub, setup=django_setup, actor_for=command_actor)
    fleet_cli.add_commands(sub)
    geocoding_cli.add_commands(sub)
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from layers.errors import GridcityError

    try:
        return int(args.func(args))
    except GridcityError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"gridcity: {exc.message}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
