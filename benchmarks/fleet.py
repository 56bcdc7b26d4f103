"""GPS ingest, playback and back-search speed, against a bare COPY of the same fixes (the limit).

    .venv/bin/python -m benchmarks.fleet [--vehicles 200] [--hours 24] [--ingest 200000] [--clients 4]
                                         [--batch 500] [--samples 20] [--sustain-minutes 0 --rate 1000] [--keep]

Makes its own scratch database ``gridcity_bench_fleet`` on the embedded cluster (the dev database is
never touched): migrates it, loads the demo district at scale 0.01 (its roads and accounts), registers
``--vehicles`` vehicles, and has the fleet simulator (``fleet.simulate``, the same code as ``gridcity
fleet simulate``) drive them for ``--hours`` along the demo roads, ending now. Then, in the same run:

(a) ingest through HTTP: the first ``--ingest`` fixes POSTed to ``/api/gps/fixes/`` by ``--clients``
    processes in batches of ``--batch`` to ``gridcity serve``-like gunicorn (2 gthread workers):
    checks, terminal lookup, ON CONFLICT insert, live positions, audit, NOTIFY, durable commit;
(b) the limit: the table emptied and the same fixes loaded with one bare ``COPY`` (no checks, no
    live positions) — the ratio (a)/(b) is reported;
(c) the rest of the day loaded by COPY, then playback of a whole vehicle-day through
    ``GET /api/vehicles/{id}/track/`` (median and p95 of ``--samples`` vehicles; target ≤ 100 ms);
(d) a back-search 违规反查 over the day of all vehicles around ``--samples`` road points through
    ``GET /api/fleet/passed/`` (target ≤ 500 ms);
(e) with ``--sustain-minutes M``: ``--rate`` fixes/s posted for M minutes (new fixes, real time), every
    batch answered with all its fixes stored (none rejected or duplicate), the workers' resident
    memory printed each minute.

The workers' resident memory (VmRSS) is printed after each step. The scratch database is dropped at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from benchmarks.tiles import free_port, start_server

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "gridcity_bench_fleet"
GUNICORN = ["gunicorn", "gridcity.wsgi:application", "--workers", "2", "--worker-class", "gthread",
            "--threads", "4", "--keep-alive", "30", "--bind"]


def gridcity(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-m", "gridcity.cli", *args], check=True, env=env, cwd=ROOT,
                          capture_output=True, text=True).stdout


def workers_rss_mb(server: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory of the gunicorn workers (children of the master)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(server.pid):
            out.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(out)


def post_batches(args: tuple[int, str, list[str]]) -> int:
    """One client: POST each pre-encoded batch; returns the fixes the server stored."""
    port, key, bodies = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    stored = 0
    for body in bodies:
        conn.request("POST", "/api/gps/fixes/", body, {"Content-Type": "application/json",
                                                        "Authorization": f"Feed {key}"})
        reply = conn.getresponse()
        data = json.loads(reply.read())
        if reply.status != 200 or data["rejected"]:
            raise SystemExit(f"HTTP {reply.status}: {str(data)[:300]}")
        stored += data["stored"]
    return stored


def timed_get(port: int, token: str, paths: list[str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for path in paths:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        reply = conn.getresponse()
        body = reply.read()
        times.append(time.perf_counter() - t0)
        if reply.status != 200:
            raise SystemExit(f"{path}: HTTP {reply.status} {body[:300]!r}")
    return times


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"median {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000:.0f} ms")


def copy_fixes(url: str, rows: list[tuple]) -> float:
    """The limit: one bare COPY of ``rows`` into fleet_fix; seconds taken."""
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY fleet_fix (vehicle_id, time, terminal, geom, speed, heading)"
                                            " FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=200)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--ingest", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--sustain-minutes", type=float, default=0.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from gridcity.cluster import Cluster

    cluster = Cluster.default()
    cluster.start()
    cluster.ensure_database(DATABASE)
    url = cluster.url(DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev", "GRIDCITY_DEMO": "1"}
    os.environ.update(env)
    print("setting up (migrate, demo at scale 0.01) …", flush=True)
    gridcity(["migrate", "--verbosity", "0"], env)
    gridcity(["demo", "--if-empty", "--scale", "0.01"], env)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from fleet import credentials, simulate
    from fleet.ingest import ensure_partitions
    from fleet.roads import demo_roads

    with connection.cursor() as cur:
        cur.execute("TRUNCATE fleet_fix")
        cur.execute("DELETE FROM fleet_vehicle WHERE terminal LIKE 'BENCH-%%'")
        cur.execute(
            "INSERT INTO fleet_vehicle (created_at, updated_at, category, kind, name, plate, plate_colour, \"group\","
            " company, has_gps, has_weighing, has_video, terminal, area_code, available)"
            " SELECT now(), now(), 'vehicle', 'collection', '', '苏JB' || lpad(n::text, 4, '0'), 'blue', '收运队', '',"
            " true, false, false, 'BENCH-' || lpad(n::text, 4, '0'), '320982', true FROM generate_series(1, %s) n",
            [args.vehicles])
        cur.execute("SELECT terminal, id FROM fleet_vehicle WHERE terminal LIKE 'BENCH-%%' ORDER BY id")
        ids = dict(cur.fetchall())
    key = credentials.rotate("benchmark")

    print(f"simulating {args.vehicles} vehicles for {args.hours:g} h …", flush=True)
    t0 = time.perf_counter()
    sim = simulate.Simulator(demo_roads(), [(t, "collection") for t in ids], seed=7)
    now = time.time() - 60
    sim.backdate(args.hours * 3600)
    fixes = sim.fixes_until(now)
    fixes.sort(key=lambda f: f["time"])
    print(f"  {len(fixes):,} fixes in {time.perf_counter() - t0:.0f} s", flush=True)
    zone = ZoneInfo(settings.TIME_ZONE)
    zone_days = {datetime.fromisoformat(f["time"]).astimezone(zone).date() for f in fixes}
    ensure_partitions(zone_days | {d + timedelta(days=1) for d in zone_days} | {d - timedelta(days=1)
                                                                                for d in zone_days})
    connection.close()
    head, rest = fixes[: args.ingest], fixes[args.ingest:]

    port = free_port()
    server = start_server(GUNICORN, port, env)
    try:
        print(f"workers' memory at start: {workers_rss_mb(server)} MB", flush=True)
        # (a) through HTTP: batches round-robin over the clients, in time order (as terminals send)
        bodies = [json.dumps({"fixes": head[i:i + args.batch]}) for i in range(0, len(head), args.batch)]
        shares = [(port, key, bodies[c::args.clients]) for c in range(args.clients)]
        with ProcessPoolExecutor(args.clients) as pool:
            t0 = time.perf_counter()
            stored = sum(pool.map(post_batches, shares))
            http_s = time.perf_counter() - t0
        assert stored == len(head), (stored, len(head))
        http_rate = len(head) / http_s
        print(f"(a) HTTP ingest: {len(head):,} fixes in {http_s:.1f} s = {http_rate:,.0f} fixes/s "
              f"({args.clients} clients, batches of {args.batch}); workers' memory {workers_rss_mb(server)} MB",
              flush=True)

        # (b) the limit: the same fixes by one bare COPY into the emptied table
        def row(f: dict) -> tuple:
            return (ids[f["terminal"]], f["time"], f["terminal"], f"SRID=4490;POINT({f['lon']} {f['lat']})",
                    f["speed"], f["heading"])

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("TRUNCATE fleet_fix")
        copy_s = copy_fixes(url, [row(f) for f in head])
        copy_rate = len(head) / copy_s
        print(f"(b) bare COPY: {len(head):,} fixes in {copy_s:.1f} s = {copy_rate:,.0f} fixes/s; "
              f"HTTP ingest / COPY = {http_rate / copy_rate:.2f}", flush=True)

        # (c) the whole day in, then playback of vehicle-days
        copy_fixes(url, [row(f) for f in rest])
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE fleet_fix")
        token = json.loads(subprocess.run(
            ["curl", "-s", "-X", "POST", "-d", "username=dispatcher&password=gridcity-demo",
             f"http://127.0.0.1:{port}/api/auth/token/"], capture_output=True, text=True, check=True).stdout)["token"]
        start = datetime.fromtimestamp(now, UTC) - timedelta(hours=args.hours)
        end = datetime.fromtimestamp(now, UTC) + timedelta(minutes=1)
        window = f"from={start.isoformat().replace('+', '%2B')}&to={end.isoformat().replace('+', '%2B')}"
        sample = list(ids.values())[:: max(1, len(ids) // args.samples)][: args.samples]
        timed_get(port, token, [f"/api/vehicles/{sample[0]}/track/?{window}"])  # warm
        playback = timed_get(port, token, [f"/api/vehicles/{pk}/track/?{window}" for pk in sample])
        per_day = len(fixes) / len(ids) * 24 / args.hours
        print(f"(c) playback of a vehicle-day (~{per_day:,.0f} fixes): {ms(playback)} (target ≤ 100 ms)", flush=True)

        # (d) back-search around points of the roads over the whole day of every vehicle
        roads = demo_roads()
        points = [roads[i % len(roads)].interpolate(0.5, normalized=True) for i in range(0, 7 * args.samples, 7)]
        paths = [f"/api/fleet/passed/?{window}&buffer=30&geometry="
                 + json.dumps({"type": "Point", "coordinates": [p.x, p.y]}).replace(" ", "") for p in points]
        search = timed_get(port, token, paths)
        print(f"(d) back-search over a day of {len(ids)} vehicles ({len(fixes):,} fixes): {ms(search)} "
              f"(target ≤ 500 ms); workers' memory {workers_rss_mb(server)} MB", flush=True)

        if args.sustain_minutes:
            sustain(port, key, sim, args, server)
    finally:
        server.terminate()
        server.wait()
        if not args.keep:
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


def sustain(port: int, key: str, sim: object, args: argparse.Namespace, server: subprocess.Popen[bytes]) -> None:
    """(e) ``--rate`` fixes/s for ``--sustain-minutes``: real-time fixes of the simulated fleet,
    reporting as often as the rate needs; every batch must come back fully stored."""
    from fleet import simulate

    assert isinstance(sim, simulate.Simulator)
    for d in sim.drivers:
        d.every = len(sim.drivers) / args.rate
        d.next_report = time.time()
    sent = 0
    end = time.monotonic() + args.sustain_minutes * 60
    next_report = time.monotonic() + 60
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < end:
        tick = time.monotonic()
        batch = sim.fixes_until(time.time())
        for i in range(0, len(batch), args.batch):
            conn.request("POST", "/api/gps/fixes/", json.dumps({"fixes": batch[i:i + args.batch]}),
                         {"Content-Type": "application/json", "Authorization": f"Feed {key}"})
            reply = conn.getresponse()
            data = json.loads(reply.read())
            if reply.status != 200 or data["stored"] != len(batch[i:i + args.batch]):
                raise SystemExit(f"HTTP {reply.status}: {str(data)[:300]}")
        sent += len(batch)
        if time.monotonic() >= next_report:
            print(f"  sustained {sent:,} fixes; workers' memory {workers_rss_mb(server)} MB", flush=True)
            next_report += 60
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    print(f"(e) sustained {sent / (args.sustain_minutes * 60):,.0f} fixes/s for {args.sustain_minutes:g} min; "
          f"workers' memory {workers_rss_mb(server)} MB", flush=True)


if __name__ == "__main__":
    main()
