"""Geocoding speed and accuracy on the demo city, beside the bare SQL lookups it needs.

    .venv/bin/python -m benchmarks.geocoding [--per-category 30] [--seconds 5] [--seed 11]

Needs the demo city in the database (``make run`` or ``gridcity demo``, default seed). It builds a
labelled set of forward queries from the demo data with a seeded generator — every form of SPEC
§5.3 (exact plates, with region prefixes, missing numbers, aliases, old names, typos, Chinese
numerals, full-width and traditional writing, intersections, direction offsets, POIs, gates,
zones) and names that exist nowhere — and then:

(a) accuracy, in process: top-1 within the tolerance of the truth (5 m; for a number without a
    plate, where the generator would have put it: 30 m, or half the distance between its surveyed
    neighbours when they are further apart, the uncertainty no geocoder can remove), the
    nowhere-names answered with no candidate; a table by category, and the interpolation errors in metres;
(b) the bare lookups on one psycopg connection: the trigram name query and the plate-by-number
    query the geocoder makes for the same queries (the limit), and the nearest-plate query of reverse;
(c) the endpoints under gunicorn: forward and reverse latency with 1 client (median, p95) and
    forward throughput with 4 clients.

Targets (issue 21): forward p95 ≤ 20 ms, reverse p95 ≤ 5 ms, ≥ 300 forward queries/s with 4
clients; top-1 ≥ 97 % overall and ≥ 90 % in each category, ≥ 95 % of nowhere-names answered with nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import psycopg

from benchmarks.tiles import fetch_all, free_port, pct, start_server, token

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ["gunicorn", "gridcity.wsgi:application", "--workers", "4", "--log-level", "warning", "--bind"]
NOWHERE_WORDS = ("火星", "月亮", "冥王", "雪山", "沙漠", "珊瑚", "极光", "熊猫", "孔雀", "昆仑", "天山", "敦煌", "琥珀",
                 "玛瑙", "骆驼", "北极", "企鹅", "鲸鱼", "海豚", "仙鹤")
NOWHERE_FORMS = ("{w}路{n}号", "{w}小区", "{w}公园", "{w}大道{n}号", "{w}路与{v}路交叉口", "{w}中学", "{w}花园北门",
                 "{w}巷{n}号东侧20米")
DIRECTIONS = {"东侧": 90.0, "西侧": 270.0, "南侧": 180.0, "北侧": 0.0, "东北方向约": 45.0, "往南": 180.0,
              "西南": 225.0}


@dataclass(frozen=True)
class Case:
    category: str
    q: str
    truth: tuple[float, float] | None  # None: nothing should be found
    tolerance_m: float = 5.0


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def _homophone(name: str, table: dict[str, list[str]], rng: random.Random) -> str | None:
    """``name`` with one character of its core replaced by another character of the same sound."""
    from pypinyin import lazy_pinyin

    from geocoding import rank

    core, _, _ = rank.split(name)
    spots = [i for i, c in enumerate(core) if len(table.get(lazy_pinyin(c)[0], [])) > 1]
    if not spots:
        return None
    i = rng.choice(spots)
    others = [c for c in table[lazy_pinyin(core[i])[0]] if c != core[i]]
    return name[:i] + rng.choice(others) + name[i + 1:]


def _interpolation_tolerance(cur: psycopg.Cursor, street: str, number: int) -> float:
    """How far a number without a plate may be placed from where it stands: 30 m, or half the distance
    between its surveyed neighbours on its side when they are further apart — where between them the
    house stands, nothing stored says (the numbering is all a geocoder has)."""
    row = cur.execute(
        "SELECT ST_Distance(a.geom::geography, b.geom::geography) FROM"
        " (SELECT geom FROM layers_doorplate WHERE street_name = %(s)s AND gridcity_house_number(number) < %(n)s"
        "  AND gridcity_house_number(number) %% 2 = %(p)s ORDER BY gridcity_house_number(number) DESC LIMIT 1) a,"
        " (SELECT geom FROM layers_doorplate WHERE street_name = %(s)s AND gridcity_house_number(number) > %(n)s"
        "  AND gridcity_house_number(number) %% 2 = %(p)s ORDER BY gridcity_house_number(number) LIMIT 1) b",
        {"s": street, "n": number, "p": number % 2}).fetchone()
    return max(30.0, row[0] / 2) if row else 30.0


def labelled_set(cur: psycopg.Cursor, per: int, seed: int) -> list[Case]:
    """The labelled queries, drawn from the stored demo addresses and the generator's truth."""
    import cn2an
    import opencc
    from pypinyin import lazy_pinyin

    from democity.generate import generate_city
    from geocoding.offset import move

    rng = random.Random(seed)
    plates = cur.execute("SELECT d.street_name, gridcity_house_number(d.number), ST_X(d.geom), ST_Y(d.geom),"
                         " s.name, c.name FROM layers_doorplate d JOIN layers_unitgrid g ON g.code = d.unit_grid_id"
                         " JOIN layers_community c ON c.code = g.community_id JOIN layers_street s ON s.code ="
                         " c.street_id ORDER BY d.code").fetchall()
    streets = {name: (json.loads(a), json.loads(o)) for name, a, o in cur.execute(
        "SELECT name, aliases::text, old_names::text FROM layers_streetline")}
    plated = [p for p in plates if p[0] in streets]
    pois = cur.execute("SELECT name, ST_X(geom), ST_Y(geom), category FROM layers_poi ORDER BY code").fetchall()
    zones = cur.execute("SELECT name, aliases::text, old_names::text, ST_X(p), ST_Y(p) FROM layers_zone,"
                        " LATERAL ST_PointOnSurface(geom) p ORDER BY code").fetchall()
    crossings = cur.execute(
        "SELECT a.name, b.name, ST_X(p), ST_Y(p) FROM layers_streetline a JOIN layers_streetline b ON a.id < b.id"
        " AND ST_Intersects(a.geom, b.geom), LATERAL ST_GeometryN(ST_Intersection(a.geom, b.geom), 1) p"
        " WHERE GeometryType(p) = 'POINT' ORDER BY a.code, b.code").fetchall()
    names = [p[0] for p in plates] + [p[0] for p in pois] + [z[0] for z in zones]
    sounds: dict[str, list[str]] = defaultdict(list)
    for ch in sorted({c for n in names for c in n}):
        sounds[lazy_pinyin(ch)[0]].append(ch)
    s2t = opencc.OpenCC("s2t")
    cases: list[Case] = []

    def sample(rows: list, k: int) -> list:
        return rng.sample(rows, min(k, len(rows)))

    for street, n, x, y, _, _ in sample(plated, per):
        cases.append(Case("plate", f"{street}{n}号", (x, y)))
    for street, n, x, y, admin, community in sample(plated, per):
        prefix = rng.choice(["江苏省盐城市大丰区", "大丰区", "盐城市大丰区", "江苏盐城大丰", ""]) + rng.choice(
            [admin, f"{admin}{community}", ""])
        cases.append(Case("region prefix", f"{prefix}{street}{n}号", (x, y)))
    for street, n, x, y, _, _ in sample(plated, per):
        cases.append(Case("chinese numeral", f"{street}{cn2an.an2cn(n)}号", (x, y)))
    for street, n, x, y, _, _ in sample(plated, per):
        cases.append(Case("full-width / traditional", s2t.convert(_fullwidth(f"{street}{n}号")), (x, y)))
    aliased = [p for p in plated if streets[p[0]][0]]
    for street, n, x, y, _, _ in sample(aliased, per):
        cases.append(Case("alias", f"{rng.choice(streets[street][0])}{n}号", (x, y)))
    renamed = [p for p in plated if streets[p[0]][1]]
    for street, n, x, y, _, _ in sample(renamed, per):
        cases.append(Case("old name", f"{rng.choice(streets[street][1])}{n}号", (x, y)))
    typos = 0
    for street, n, x, y, _, _ in rng.sample(plated, len(plated)):
        written = _homophone(street, sounds, rng)
        if written and written not in streets and typos < per // 2:
            cases.append(Case("typo", f"{written}{n}号", (x, y)))
            typos += 1
    for name, x, y, _ in rng.sample(pois, len(pois)):
        written = _homophone(name, sounds, rng)
        if written and typos < per:
            cases.append(Case("typo", written, (x, y)))
            typos += 1
    unplated = generate_city().addresses.unplated
    stored = {(p[0], p[1]) for p in plates}
    missing = [(s, int(n), pt.x, pt.y) for s, n, pt in zip(unplated.street_names, unplated.numbers,
                                                            unplated.points, strict=True) if (s, int(n)) not in stored]
    for street, n, x, y in sample(missing, per):
        cases.append(Case("missing number", f"{street}{n}号", (x, y), _interpolation_tolerance(cur, street, n)))
    connectors = ["{a}与{b}交叉口", "{a}和{b}路口", "{a}{b}交叉口", "{a}与{b}交汇处", "{a}{b}十字路口"]
    for a, b, x, y in sample(crossings, per):
        cases.append(Case("intersection", rng.choice(connectors).format(a=a, b=b), (x, y)))
    for street, n, x, y, _, _ in sample(plated, per):
        word, bearing = rng.choice(list(DIRECTIONS.items()))
        metres = rng.choice([10, 20, 30, 50, 80, 100])
        cases.append(Case("direction", f"{street}{n}号{word}{metres}米", move(x, y, bearing, metres)))
    plain_pois = [p for p in pois if p[3] != "小区出入口"]
    for name, x, y, _ in sample(plain_pois, per):
        cases.append(Case("poi", name, (x, y)))
    gates = [p for p in pois if p[3] == "小区出入口"]
    zone_aliases = {z[0]: json.loads(z[1]) for z in zones}
    for name, x, y, _ in sample(gates, per):
        estate, gate = name[:-2], name[-2:]
        written = rng.choice([estate, *zone_aliases.get(estate, [])])
        cases.append(Case("gate", f"{written}{gate}", (x, y)))
    for name, aliases, olds, x, y in sample(zones, per):
        forms = [name, f"{name}小区" if not name.endswith("小区") else name, *json.loads(aliases), *json.loads(olds)]
        cases.append(Case("zone", rng.choice(forms), (x, y)))
    for i in range(per * 2):
        w, v = rng.sample(NOWHERE_WORDS, 2)
        cases.append(Case("nowhere", NOWHERE_FORMS[i % len(NOWHERE_FORMS)].format(w=w, v=v, n=rng.randint(1, 200)),
                          None))
    return cases


def judge(case: Case, candidates: list) -> bool:
    from geocoding.offset import distance

    if case.truth is None:
        return not candidates
    if not candidates:
        return False
    best = candidates[0]
    return distance(best.lon, best.lat, *case.truth) <= case.tolerance_m


def accuracy(cur: psycopg.Cursor, cases: list[Case],
             errors: list[float] | None = None) -> tuple[dict[str, list[bool]], list[tuple[Case, str]]]:
    from geocoding import forward
    from geocoding.offset import distance

    actor = SimpleNamespace(username="benchmark", role="admin", jurisdiction_code="")
    by: dict[str, list[bool]] = defaultdict(list)
    wrong: list[tuple[Case, str]] = []
    for case in cases:
        result = forward.geocode(cur, case.q, actor, 1)
        ok = judge(case, result.candidates)
        by[case.category].append(ok)
        if errors is not None and case.category == "missing number" and result.candidates and case.truth:
            errors.append(distance(result.candidates[0].lon, result.candidates[0].lat, *case.truth))
        if not ok:
            got = (f"{result.candidates[0].level} {result.candidates[0].name}" if result.candidates
                   else f"nothing ({result.reason})")
            wrong.append((case, got))
    return by, wrong


def bare(cur: psycopg.Cursor, cases: list[Case], points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The lookups the geocoder makes, timed alone: names by trigram (and plates by number) per query; nearest."""
    from geocoding import lookup, parse
    from geocoding.regions import Gazetteer

    actor = SimpleNamespace(username="benchmark", role="admin", jurisdiction_code="")
    gaz = Gazetteer.from_units(lookup.admin_units(cur))
    forward_times = []
    for case in cases:
        tail = parse.split_tail(gaz.strip(parse.normalise(case.q)).rest)
        ref = parse.plate(tail.anchor)
        t0 = time.perf_counter()
        lookup.names(cur, ref.street if ref else tail.anchor, actor, ("street",) if ref else ("street", "zone", "poi"))
        if ref:
            lookup.plates(cur, [ref.street], ref.number, actor)
        forward_times.append(time.perf_counter() - t0)
    reverse_times = []
    for lon, lat in points:
        t0 = time.perf_counter()
        lookup.nearest(cur, lon, lat, actor)
        reverse_times.append(time.perf_counter() - t0)
    return forward_times, reverse_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-category", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings.dev")
    import django

    django.setup()
    url = os.environ.get("DATABASE_URL") or subprocess.check_output([str(ROOT / ".venv/bin/gridcity"), "db", "url"],
                                                                      text=True).strip()
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.cursor()
        if not cur.execute("SELECT count(*) FROM layers_doorplate").fetchone()[0]:  # type: ignore[index]
            sys.exit("no door plates: load the demo city first (gridcity demo)")
        cases = labelled_set(cur, args.per_category, args.seed)
        rng = random.Random(args.seed)
        plates = cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM layers_doorplate ORDER BY code").fetchall()
        points = [(x + rng.uniform(-3e-4, 3e-4), y + rng.uniform(-3e-4, 3e-4)) for x, y in rng.sample(plates, 200)]
        errors: list[float] = []
        by, wrong = accuracy(cur, cases, errors)
        accuracy(cur, cases[:20])  # warm before timing the bare lookups
        bare_forward, bare_reverse = bare(cur, cases, points)

    port = free_port()
    server = start_server(GUNICORN, port, {**os.environ, "DATABASE_URL": url, "GRIDCITY_DEMO": "1"})
    forward_paths = [f"/api/geocode/?{urlencode({'q': c.q, 'limit': 1})}" for c in cases]
    reverse_paths = [f"/api/geocode/reverse/?lon={x:.7f}&lat={y:.7f}" for x, y in points]
    try:
        key = token(port)
        for _ in range(2):  # every worker loads its dictionaries and connection before timing
            fetch_all((port, key, forward_paths[:40], 0))
        _, forward_one = fetch_all((port, key, forward_paths, 0))
        _, reverse_one = fetch_all((port, key, reverse_paths, 0))
        with ProcessPoolExecutor(4) as pool:
            t0 = time.perf_counter()
            runs = list(pool.map(fetch_all, [(port, key, forward_paths, args.seconds)] * 4))
            rate = sum(r[0] for r in runs) / (time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait()

    ms = 1000.0
    print(f"labelled set: {len(cases)} queries in {len(by)} categories (seed {args.seed})\n")
    print(f"{'category':<26}{'queries':>8}{'top-1 correct':>15}")
    for category, oks in by.items():
        print(f"{category:<26}{len(oks):>8}{100 * sum(oks) / len(oks):>14.1f}%")
    positive = [ok for c, oks in by.items() if c != "nowhere" for ok in oks]
    nowhere = by.get("nowhere", [])
    print(f"{'all that exist':<26}{len(positive):>8}{100 * sum(positive) / len(positive):>14.1f}%   (target ≥ 97 %,"
          " ≥ 90 % in each category)")
    print(f"{'nowhere-names: nothing':<26}{len(nowhere):>8}{100 * sum(nowhere) / max(1, len(nowhere)):>14.1f}%"
          "   (target ≥ 95 %)")
    for case, got in wrong[:15]:
        print(f"  missed [{case.category}] {case.q!r}: {got}")
    if errors:
        print(f"numbers without a plate: placed {statistics.median(errors):.1f} m (median), {pct(errors, 0.9):.1f} m "
              f"(p90) from where the generator put them; {sum(e <= 30 for e in errors)}/{len(errors)} within 30 m")

    def line(name: str, values: list[float], target: float | None = None) -> None:
        p95 = pct(values, 0.95)
        met = "met" if target is not None and p95 * ms <= target else "NOT met"
        verdict = "" if target is None else f"   (target p95 ≤ {target:g} ms: {met})"
        print(f"{name:<40} median {statistics.median(values) * ms:7.2f} ms   p95 {p95 * ms:7.2f} ms{verdict}")

    print()
    line("(b) bare lookups for a forward query", bare_forward)
    line("(b) bare nearest-plate query (reverse)", bare_reverse)
    line("(c) forward endpoint, 1 client", forward_one, 20)
    line("(c) reverse endpoint, 1 client", reverse_one, 5)
    ratio = statistics.median(forward_one) / statistics.median(bare_forward)
    met = "met" if rate >= 300 else "NOT met"
    print(f"(c) forward endpoint, 4 clients {rate:8.0f} queries/s   (target ≥ 300: {met})"
          f"; forward median is {ratio:.1f}× the bare lookups")
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
