"""A fleet simulator that drives registered vehicles along the platform's roads and reports their
fixes through the ingest API, exactly as terminals do (``POST /api/gps/fixes/`` with a feed key).

Each vehicle follows a road, turns onto a road meeting its end (or turns back), reports every
10–30 s, stops now and then (a collection point, a light), and its receiver adds metres of noise
and the odd jump of hundreds of metres. Movement is computed in CGCS2000 Gauss-Krüger metres
(EPSG:4549) and reported as lon/lat.

Time: with ``speedup`` 1 the simulation runs in real time. With ``speedup`` K > 1 it starts
``backfill`` earlier and runs K times faster until it has caught up with the clock, then goes on
in real time: fixes are never stamped in the future and implied speeds stay real.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from pyproj import Transformer

METRIC_SRID = 4549
STORAGE_SRID = 4490
# km/h a vehicle cruises at, by kind; people walk.
CRUISE_KMH = {"collection": 30, "kitchen": 30, "muck": 40, "hazardous": 40, "sweeper": 12, "sprinkler": 15,
              "supervisor": 5, "patrol": 5}
NOISE_M = 4.0
JUMP_CHANCE = 0.003
JUMP_M = (200.0, 600.0)
STOP_CHANCE = 0.03
STOP_SECONDS = (60.0, 360.0)
REPORT_SECONDS = (10.0, 30.0)
# Endpoints closer than this are one junction.
JUNCTION_M = 5.0

Post = Callable[[list[dict]], bool]


@dataclass
class Driver:
    terminal: str
    kind: str
    road: int
    at: float  # metres along the road
    direction: int  # +1 along the line, -1 against it
    cruise: float  # m/s
    every: float  # report interval, s
    next_report: float  # simulated epoch
    stopped_until: float = 0.0
    heading: float = 0.0


@dataclass
class Network:
    """The roads in metres and which road ends meet (for turning at a junction)."""

    lines: list[shapely.LineString]
    ends: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)  # (x, y) → [(road, end)]

    @classmethod
    def build(cls, lines: list[shapely.LineString]) -> Network:
        net = cls(lines)
        for i, line in enumerate(lines):
            for end, (x, y) in ((0, line.coords[0]), (1, line.coords[-1])):
                net.ends.setdefault(net.key(x, y), []).append((i, end))
        return net

    @staticmethod
    def key(x: float, y: float) -> tuple[int, int]:
        return int(x // JUNCTION_M), int(y // JUNCTION_M)


class Simulator:
    def __init__(self, roads: list[shapely.LineString], vehicles: list[tuple[str, str]], seed: int = 23) -> None:
        """``roads`` in EPSG:4490 lon/lat; ``vehicles`` as (terminal, kind)."""
        if not roads:
            raise ValueError("no roads to drive on: load the demo city (gridcity demo) or import roads first")
        to_metres = Transformer.from_crs(STORAGE_SRID, METRIC_SRID, always_xy=True)
        self.to_lonlat = Transformer.from_crs(METRIC_SRID, STORAGE_SRID, always_xy=True)
        metric = [shapely.transform(r, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1])))
                  for r in roads]
        self.net = Network.build([line for line in metric if line.length > 1.0])
        self.rng = np.random.default_rng(seed)
        start = time.time()
        self.drivers = []
        for terminal, kind in vehicles:
            road = int(self.rng.integers(len(self.net.lines)))
            every = float(self.rng.uniform(*REPORT_SECONDS))
            self.drivers.append(Driver(
                terminal, kind, road, float(self.rng.uniform(0, self.net.lines[road].length)),
                int(self.rng.choice([-1, 1])), CRUISE_KMH.get(kind, 30) / 3.6 * float(self.rng.uniform(0.8, 1.2)),
                every, start + float(self.rng.uniform(0, every))))

    def _advance(self, d: Driver, seconds: float) -> float:
        """Move ``d`` for ``seconds``; its speed in km/h over the step."""
        if d.stopped_until > d.next_report:
            return 0.0
        if self.rng.random() < STOP_CHANCE:
            d.stopped_until = d.next_report + float(self.rng.uniform(*STOP_SECONDS))
            return 0.0
        speed = d.cruise * float(self.rng.uniform(0.7, 1.15))
        left = speed * seconds
        while left > 0:
            line = self.net.lines[d.road]
            room = line.length - d.at if d.direction > 0 else d.at
            if left <= room:
                d.at += d.direction * left
                break
            left -= room
            self._turn(d, end=1 if d.direction > 0 else 0)
        return speed * 3.6

    def _turn(self, d: Driver, end: int) -> None:
        """At a road's end: onto another road meeting there, else back along this one."""
        line = self.net.lines[d.road]
        x, y = line.coords[-1] if end else line.coords[0]
        options = [(r, e) for r, e in self.net.ends.get(Network.key(x, y), []) if r != d.road]
        if options:
            road, their_end = options[int(self.rng.integers(len(options)))]
            d.road = road
            d.at = 0.0 if their_end == 0 else self.net.lines[road].length
            d.direction = 1 if their_end == 0 else -1
        else:
            d.direction = -d.direction

    def _position(self, d: Driver) -> tuple[float, float]:
        line = self.net.lines[d.road]
        here = line.interpolate(d.at)
        ahead = line.interpolate(min(max(d.at + d.direction * 5.0, 0.0), line.length))
        if ahead.distance(here) > 0.5:
            d.heading = float(np.degrees(np.arctan2(ahead.x - here.x, ahead.y - here.y)) % 360)
        x, y = here.x + self.rng.normal(0, NOISE_M), here.y + self.rng.normal(0, NOISE_M)
        if self.rng.random() < JUMP_CHANCE:
            angle, reach = self.rng.uniform(0, 2 * np.pi), self.rng.uniform(*JUMP_M)
            x, y = x + reach * np.cos(angle), y + reach * np.sin(angle)
        lon, lat = self.to_lonlat.transform(x, y)
        return float(lon), float(lat)

    def fixes_until(self, clock: float) -> list[dict]:
        """Every fix due up to the simulated epoch ``clock``."""
        out = []
        for d in self.drivers:
            while d.next_report <= clock:
                speed = self._advance(d, d.every)
                lon, lat = self._position(d)
                out.append({"terminal": d.terminal,
                            "time": datetime.fromtimestamp(d.next_report, UTC).isoformat(timespec="seconds"),
                            "lon": round(lon, 7), "lat": round(lat, 7), "crs": "EPSG:4326",
                            "speed": round(speed, 1), "heading": round(d.heading, 1)})
                d.next_report += d.every
        return out

    def backdate(self, seconds: float) -> None:
        for d in self.drivers:
            d.next_report -= seconds


def http_poster(url: str, key: str, timeout: float = 30.0) -> Post:
    """POST a batch to ``url``; True once the server answered 200 (committed)."""
    def post(fixes: list[dict]) -> bool:
        request = urllib.request.Request(url, data=json.dumps({"fixes": fixes}).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Feed {key}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
    return post


def run(sim: Simulator, post: Post, speedup: float = 1.0, backfill: timedelta = timedelta(0),
        seconds: float | None = None, tick: float = 1.0, batch: int = 500,
        keep_going: Callable[[], bool] = lambda: True, now: Callable[[], float] = time.time) -> int:
    """Drive and report until ``seconds`` of real time have passed (forever if None); fixes a post
    failed for are kept and sent again. Returns the fixes acknowledged."""
    started = now()
    sim.backdate(backfill.total_seconds())
    clock = started - backfill.total_seconds()
    pending: list[dict] = []
    acknowledged = 0
    while keep_going() and (seconds is None or now() - started < seconds):
        real = now()
        clock = min(clock + tick * speedup, real)
        pending.extend(sim.fixes_until(clock))
        while pending:
            if not post(pending[:batch]):
                break
            acknowledged += len(pending[:batch])
            del pending[:batch]
        time.sleep(max(0.0, tick - (now() - real)))
    return acknowledged
