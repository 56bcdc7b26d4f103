"""Vector tile speed on the demo city, against the bare ST_AsMVT query for the same tiles.

    .venv/bin/python -m benchmarks.tiles [--per-zoom 20] [--seconds 5] [--seed 7]

Needs the demo city in the database (``make run`` or ``gridcity demo``). It starts the platform
with gunicorn on a free local port, then for a seeded list of tiles at z12, z14 and z16 that
intersect the components (layers ``unit_grids,components``, as the map asks for them) it times:

(a) the bare query: the very SQL the tile endpoint runs, on one psycopg connection — the limit;
(b) the endpoint uncached (tile cache emptied first), one client;
(c) the endpoint cached, with 1 and 4 concurrent clients (keep-alive HTTP connections).

It prints medians, p95, the largest tile, throughput and the ratios to the limit. Targets:
uncached median ≤ 1.3 × bare + 2 ms; cached ≥ 2,000 tiles/s with 4 clients; no tile > 500 KB.

(d) When TiPg is installed (``.venv/bin/pip install -e '.[bench]'``), the same tiles of the
components layer alone (TiPg serves one layer per tile, uncached) from TiPg under uvicorn, next
to ours for the same single layer, uncached and cached.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder would come first on sys.path and this file would shadow the tiles package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
LAYERS = "unit_grids,components"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def pick_tiles(url: str, per_zoom: int, seed: int) -> list[tuple[int, int, int]]:
    with psycopg.connect(url) as conn:
        points = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM layers_component WHERE GeometryType(geom) = 'POINT'"
                              " ORDER BY id").fetchall()
    if not points:
        sys.exit("no components: load the demo city first (gridcity demo)")
    rng = random.Random(seed)
    tiles: list[tuple[int, int, int]] = []
    for z in (12, 14, 16):
        chosen: set[tuple[int, int, int]] = set()
        for _ in range(100 * per_zoom):  # a district spans only a few z12 tiles: stop when none are new
            lon, lat = rng.choice(points)
            chosen.add(tile_of(lon, lat, z))
            if len(chosen) == per_zoom:
                break
        tiles.extend(sorted(chosen))
    return tiles


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


GUNICORN = ["gunicorn", "gridcity.wsgi:application", "--workers", "2", "--worker-class", "gthread",
            "--threads", "4", "--keep-alive", "30", "--bind"]
TIPG = ["uvicorn", "tipg.main:app", "--workers", "2", "--log-level", "warning", "--port"]


def start_server(argv: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` (a server command whose last option takes the port) and wait until it listens."""
    address = f"127.0.0.1:{port}" if argv[0] == "gunicorn" else str(port)
    server = subprocess.Popen([str(ROOT / ".venv/bin" / argv[0]), *argv[1:], address], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("the server did not start")


def token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"username": "dispatcher", "password": "gridcity-demo"})
    conn.request("POST", "/api/auth/token/", body, {"Content-Type": "application/json"})
    reply = conn.getresponse()
    data = json.loads(reply.read())
    if reply.status != 200:
        sys.exit(f"login failed: {data}")
    return str(data["token"])


def fetch_all(args: tuple[int, str, list[str], float]) -> tuple[int, list[float]]:
    """One client: fetch the paths in a loop for ``seconds`` (or once each when seconds == 0)."""
    port, key, paths, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Token {key}", "Accept-Encoding": "gzip"}
    times: list[float] = []
    end = time.monotonic() + seconds
    i = 0
    while True:
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        reply = conn.getresponse()
        body = reply.read()
        times.append(time.perf_counter() - t0)
        if reply.status != 200:
            raise SystemExit(f"{path}: HTTP {reply.status} {body[:200]!r}")
        i += 1
        if (seconds == 0 and i >= len(paths)) or (seconds and time.monotonic() >= end):
            return i, times


def throughput(port: int, key: str, paths: list[str], seconds: float, clients: int) -> float:
    with ProcessPoolExecutor(clients) as pool:
        t0 = time.perf_counter()
        count = sum(r[0] for r in pool.map(fetch_all, [(port, key, paths, seconds)] * clients))
        return count / (time.perf_counter() - t0)


def compare_tipg(url: str, tiles: list[tuple[int, int, int]], seconds: float) -> tuple[list[float], float]:
    """TiPg on the same components tiles: latencies with one client, and tiles/s with four."""
    port = free_port()
    server = start_server(TIPG, port, {**os.environ, "DATABASE_URL": url})
    paths = [f"/collections/public.layers_component/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles]
    try:
        fetch_all((port, "", paths[:3], 0))  # warm
        return fetch_all((port, "", paths, 0))[1], throughput(port, "", paths, seconds, 4)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-zoom", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings.dev")
    import django

    django.setup()
    from django.db import connection

    from tiles.request import parse

    url = os.environ.get("DATABASE_URL") or subprocess.check_output([str(ROOT / ".venv/bin/gridcity"), "db", "url"],
                                                                      text=True).strip()
    tiles = pick_tiles(url, args.per_zoom, args.seed)
    paths = [f"/tiles/{LAYERS}/{z}/{x}/{y}.mvt" for z, x, y in tiles]

    # (a) the bare query: exactly the SQL the endpoint builds, on one connection.
    from django.http import QueryDict

    from accounts.models import User
    from tiles.sql import tile_sql

    actor = User.objects.get(username="dispatcher")
    bare: list[float] = []
    sizes: list[int] = []
    with psycopg.connect(url) as conn:
        for z, x, y in tiles:
            req = parse(f"{LAYERS}/{z}/{x}/{y}.mvt", QueryDict(""), actor)
            query, params = tile_sql(req.layer_queries(), z, x, y)
            conn.execute(query, params).fetchone()  # warm
            t0 = time.perf_counter()
            row = conn.execute(query, params).fetchone()
            data = row[0] if row else b""
            bare.append(time.perf_counter() - t0)
            sizes.append(len(data))
    connection.close()

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "GRIDCITY_DEMO": "1"}
    server = start_server(GUNICORN, port, env)
    single = [p.replace(f"/{LAYERS}/", "/components/") for p in paths]
    try:
        key = token(port)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM tiles_cache")
        fetch_all((port, key, paths[:3], 0))  # warm the workers' imports and connections
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM tiles_cache")
        _, uncached = fetch_all((port, key, paths, 0))
        results = {}
        for clients in (1, 4):
            with ProcessPoolExecutor(clients) as pool:
                t0 = time.perf_counter()
                runs = list(pool.map(fetch_all, [(port, key, paths, args.seconds)] * clients))
                wall = time.perf_counter() - t0
            count = sum(r[0] for r in runs)
            lat = [t for r in runs for t in r[1]]
            results[clients] = (count / wall, statistics.median(lat), pct(lat, 0.95))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM tiles_cache")
        ours_single = fetch_all((port, key, single, 0))[1]
        ours_single_cached = throughput(port, key, single, args.seconds, 4)
    finally:
        server.terminate()
        server.wait()
    tipg = compare_tipg(url, tiles, args.seconds) if importlib.util.find_spec("tipg") else None

    ms = 1000.0
    bare_med, unc_med = statistics.median(bare), statistics.median(uncached)
    per_zoom = ", ".join(f"{sum(t[0] == z for t in tiles)} at z{z}" for z in (12, 14, 16))
    print(f"tiles: {len(tiles)} ({per_zoom}) of {LAYERS}; largest raw tile "
          f"{max(sizes) / 1024:.1f} KB (limit 500 KB)")
    print(f"(a) bare ST_AsMVT query   median {bare_med * ms:7.2f} ms   p95 {pct(bare, 0.95) * ms:7.2f} ms")
    print(f"(b) endpoint, uncached    median {unc_med * ms:7.2f} ms   p95 {pct(uncached, 0.95) * ms:7.2f} ms   "
          f"ratio {unc_med / bare_med:.2f}× bare (target ≤ 1.3× + 2 ms: "
          f"{'met' if unc_med <= 1.3 * bare_med + 0.002 else 'NOT met'})")
    for clients, (rate, med, p95) in results.items():
        print(f"(c) endpoint, cached, {clients} client{'s' if clients > 1 else ' '} {rate:8.0f} tiles/s   "
              f"median {med * ms:6.2f} ms   p95 {p95 * ms:6.2f} ms"
              + (f"   (target ≥ 2,000 tiles/s: {'met' if rate >= 2000 else 'NOT met'})" if clients == 4 else ""))
    ours = statistics.median(ours_single)
    print(f"(d) components alone: ours uncached median {ours * ms:6.2f} ms, cached {ours_single_cached:6.0f} tiles/s"
          " with 4 clients")
    if tipg is None:
        print("    TiPg not installed: pip install -e '.[bench]' to compare")
    else:
        theirs = statistics.median(tipg[0])
        print(f"    TiPg (uncached, no cache) median {theirs * ms:6.2f} ms, {tipg[1]:6.0f} tiles/s with 4 clients: "
              f"ours is {theirs / ours:.1f}× faster uncached, {ours_single_cached / tipg[1]:.1f}× cached")


if __name__ == "__main__":
    main()
