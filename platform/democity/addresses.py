"""The demo district's addresses (GB/T 30428.3, SPEC §4): streets 街巷, door plates 门牌, estates 小区, POIs.

Every road becomes a street line under its own name, some with an alias 别名 or a former name 曾用名.
Roads near the centre carry door plates on both sides, numbered along the road's direction
(west→east, south→north): odd on the left, even on the right (左单右双), at uneven spacing, with
some numbers missing, a few plates still showing the road's former name. Each side's range is
recorded on the street line; a road without plates gets ranges from its length, as a street
ledger would. Estates 小区 are blocks between roads shrunk clear of the carriageway, with gates
(…北门) and bus stops as POIs; the other POIs (schools, clinics, markets, parks, shops, 居委会,
street offices) stand inside cells of the core. All positions are in metres (EPSG:4549) until
the generator moves the city to EPSG:4490; the same seed always gives the same addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .address_names import (
    ESTATE_SUFFIXES,
    ESTATE_WORDS,
    GATE_WORDS,
    OLD_ESTATE_NAMES,
    OLD_ROAD_WORDS,
    POI_COUNTS,
    POI_KINDS,
)
from .divisions import Divisions
from .lattice import Lattice, bilinear, radius
from .names import DISTRICT_CODE, PLACE_WORDS, ROAD_SUFFIX
from .roads import WIDTH_M, Roads

PLATED_RADIUS_M = 1900.0  # the built-up core: door plates stand this close to the centre
ESTATE_RADIUS = 12.0  # cells from the centre where estates stand
ESTATES = 50
SPACING_M = (14.0, 55.0)  # distance between neighbouring plates of one side
WIDE_GAP_SHARE, WIDE_GAP_M = 0.08, (80.0, 160.0)  # now and then a factory or a field between plates
SETBACK_M = (4.0, 12.0)  # a plate's distance from the kerb
CLEAR_OF_CROSSING_M = 22.0
MISSING_SHARE = 0.08  # numbers skipped on a side (a demolished house, a plate never put up)
OLD_NAME_PLATE_SHARE = 0.05  # plates of a renamed road still showing the former name
ROAD_OLD_NAME_SHARE, ROAD_ALIAS_SHARE = 0.15, 0.15
ESTATE_ALIAS_SHARE, ESTATE_OLD_NAME_SHARE = 0.3, 0.2
NUMBER_PER_M = 1 / 35.0  # numbering density on roads without plates
ESTATE_SETBACK_M = 12.0


@dataclass(frozen=True)
class Streets:
    codes: list[str]
    names: list[str]
    aliases: list[list[str]]
    old_names: list[list[str]]
    ranges: np.ndarray  # (n, 4) left_from, left_to, right_from, right_to
    lines: np.ndarray  # shapely LineStrings


@dataclass(frozen=True)
class Plates:
    codes: list[str]
    street_names: list[str]
    numbers: np.ndarray  # int house numbers
    street: np.ndarray  # index into Streets of the road the plate stands on
    points: np.ndarray

    @property
    def labels(self) -> list[str]:
        """门牌号 as written on the plate: ``18号``."""
        return [f"{n}号" for n in self.numbers.tolist()]


@dataclass(frozen=True)
class Places:
    """Zones (polygons) or POIs (points): codes, names, categories, aliases, old names, geometries."""

    codes: list[str]
    names: list[str]
    categories: list[str]
    aliases: list[list[str]]
    old_names: list[list[str]]
    geoms: np.ndarray


@dataclass(frozen=True)
class Addresses:
    streets: Streets
    plates: Plates
    zones: Places
    pois: Places
    # Where the numbers left without a plate would stand: the truth a geocoder's interpolation is measured
    # against (benchmarks/geocoding.py); never loaded.
    unplated: Plates


def _crossings(lines: np.ndarray) -> set[tuple[float, float]]:
    """Vertices shared by two roads: where they cross or meet."""
    seen: dict[tuple[float, float], int] = {}
    for line in lines:
        for xy in {tuple(p) for p in np.round(shapely.get_coordinates(line), 3).tolist()}:
            seen[xy] = seen.get(xy, 0) + 1
    return {xy for xy, n in seen.items() if n > 1}


def _along(line: shapely.LineString, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at distances ``s`` along ``line`` and the unit left normals of the line there."""
    xy = shapely.get_coordinates(line)
    steps = np.diff(xy, axis=0)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(steps[:, 0], steps[:, 1]))])
    seg = np.clip(np.searchsorted(cumulative, s, side="right") - 1, 0, len(steps) - 1)
    tangent = steps[seg] / np.hypot(steps[seg, 0], steps[seg, 1])[:, None]
    points = xy[seg] + tangent * (s - cumulative[seg])[:, None]
    return points, np.column_stack([-tangent[:, 1], tangent[:, 0]])


def _side_positions(rng: np.random.Generator, length: float, vertices: np.ndarray) -> np.ndarray:
    """Distances along a road (metres) where one side's plates stand: uneven steps, clear of crossings."""
    steps = rng.uniform(*SPACING_M, int(length / SPACING_M[0]) + 2)
    wide = rng.random(len(steps)) < WIDE_GAP_SHARE
    steps[wide] = rng.uniform(*WIDE_GAP_M, int(wide.sum()))
    s = rng.uniform(8.0, 25.0) + np.concatenate([[0.0], np.cumsum(steps)])
    s = s[s < length - 8.0]
    if len(vertices):
        s = s[np.abs(s[:, None] - vertices[None, :]).min(axis=1) > CLEAR_OF_CROSSING_M]
    return s


def _road_names(rng: np.random.Generator, roads: Roads) -> tuple[list[list[str]], list[list[str]]]:
    """Aliases (大道 ↔ 路, 路 → 街) and former names (a 1960s word + the same suffix) of some roads."""
    taken = set(roads.names)
    old_words = iter(rng.permutation(OLD_ROAD_WORDS))
    aliases: list[list[str]] = [[] for _ in roads.names]
    old: list[list[str]] = [[] for _ in roads.names]
    for i, name in enumerate(roads.names):
        grade = int(roads.grades[i])
        suffix = ROAD_SUFFIX[grade]
        base, _, rest = name.partition(suffix)
        if rng.random() < ROAD_ALIAS_SHARE and grade < 4:
            alias = base + ("路" if suffix == "大道" else "街") + rest
            if alias not in taken:
                aliases[i].append(alias)
                taken.add(alias)
        if rng.random() < ROAD_OLD_NAME_SHARE and not rest:
            word = next(old_words, None)
            if word is not None:
                old[i].append(str(word) + suffix)
    return aliases, old


def _streets_and_plates(rng: np.random.Generator, roads: Roads) -> tuple[Streets, Plates, Plates]:
    lines = roads.lines
    crossings = _crossings(lines)
    aliases, old_names = _road_names(rng, roads)
    centre = shapely.centroid(shapely.union_all(lines))
    ranges = np.zeros((len(lines), 4), dtype=int)
    codes, names, numbers, street, points = [], [], [], [], []
    gone_numbers, gone_street, gone_points = [], [], []
    for i, line in enumerate(lines):
        length = float(line.length)
        xy = shapely.get_coordinates(line)
        at = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        cross = at[[tuple(p) in crossings for p in np.round(xy, 3).tolist()]]
        built = shapely.intersection(line, shapely.buffer(centre, PLATED_RADIUS_M))
        if built.length < 2 * CLEAR_OF_CROSSING_M:
            last = max(1, int(length * NUMBER_PER_M))
            ranges[i] = (1, 2 * last - 1, 2, 2 * last)  # numbered, but no plate surveyed yet
            continue
        half = WIDTH_M[int(roads.grades[i])] / 2
        for side, first in ((1.0, 1), (-1.0, 2)):  # left of the direction: odd; right: even
            s = _side_positions(rng, length, cross)
            s = s[shapely.distance(shapely.points(_along(line, s)[0]), centre) < PLATED_RADIUS_M]
            seq = first + 2 * np.arange(len(s))
            keep = rng.random(len(s)) >= MISSING_SHARE
            base, normal = _along(line, s)
            offset = half + rng.uniform(*SETBACK_M, len(s))
            at = base + side * normal * offset[:, None]
            points.append(at[keep])
            numbers.append(seq[keep])
            gone_points.append(at[~keep])
            gone_numbers.append(seq[~keep])
            gone_street.append(np.full(int((~keep).sum()), i))
            street.append(np.full(int(keep.sum()), i))
            shown = np.where(rng.random(int(keep.sum())) < OLD_NAME_PLATE_SHARE, 1, 0) if old_names[i] else None
            names += [old_names[i][0] if shown is not None and shown[k] else roads.names[i]
                      for k in range(int(keep.sum()))]
            if len(seq):
                ranges[i, (0 if first == 1 else 2):(2 if first == 1 else 4)] = (seq[0], seq[-1])
    number_arr, street_arr = np.concatenate(numbers), np.concatenate(street)
    codes = [f"MP{DISTRICT_CODE}{s + 1:04d}{n:05d}" for s, n in zip(street_arr.tolist(), number_arr.tolist(),
                                                                      strict=True)]
    streets = Streets(codes=[f"JX{DISTRICT_CODE}{i + 1:04d}" for i in range(len(lines))], names=list(roads.names),
                      aliases=aliases, old_names=old_names, ranges=ranges, lines=lines)
    plates = Plates(codes=codes, street_names=names, numbers=number_arr, street=street_arr,
                    points=shapely.points(np.concatenate(points)))
    gone_street_arr = np.concatenate(gone_street)
    unplated = Plates(codes=[""] * len(gone_street_arr), street_names=[roads.names[i] for i in gone_street_arr],
                      numbers=np.concatenate(gone_numbers), street=gone_street_arr,
                      points=shapely.points(np.concatenate(gone_points)))
    return streets, plates, unplated


def _estates(rng: np.random.Generator, lattice: Lattice) -> tuple[Places, list[tuple[str, shapely.Point]]]:
    """Estates on cells of the core, shrunk clear of the roads; and their gates (name, point)."""
    cells = lattice.cells
    near = np.flatnonzero(radius(cells[:, 0], cells[:, 1]) < ESTATE_RADIUS)
    chosen = np.sort(rng.choice(near, ESTATES, replace=False))
    words = rng.permutation(ESTATE_WORDS)[:ESTATES]
    suffixes = rng.choice(ESTATE_SUFFIXES, ESTATES)
    old_pool = iter(rng.permutation(OLD_ESTATE_NAMES))
    polygons = lattice.polygons()[chosen]
    shrunk = shapely.buffer(polygons, -(WIDTH_M[1] / 2 + ESTATE_SETBACK_M), join_style="mitre")
    names, aliases, old, gates = [], [], [], []
    for k, (word, suffix, zone) in enumerate(zip(words.tolist(), suffixes.tolist(), shrunk, strict=True)):
        name = word + suffix
        names.append(name)
        alias = [word + ("小区" if suffix != "小区" else "花园")] if rng.random() < ESTATE_ALIAS_SHARE else []
        aliases.append(alias)
        former = next(old_pool, None) if rng.random() < ESTATE_OLD_NAME_SHARE else None
        old.append([str(former)] if former else [])
        minx, miny, maxx, maxy = zone.bounds
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        sides = {"北": (cx, maxy + 50), "南": (cx, miny - 50), "东": (maxx + 50, cy), "西": (minx - 50, cy)}
        for direction in rng.permutation(list(GATE_WORDS))[: 1 + k % 3].tolist():
            gate = shapely.Point(shapely.get_coordinates(shapely.shortest_line(zone.exterior,
                                                                                shapely.Point(sides[direction])))[0])
            gates.append((name + GATE_WORDS[direction], gate))
    zones = Places(codes=[f"DP{DISTRICT_CODE}{k + 1:04d}" for k in range(ESTATES)], names=names,
                   categories=["住宅小区"] * ESTATES, aliases=aliases, old_names=old,
                   geoms=np.array([shapely.MultiPolygon([z]) for z in shrunk], dtype=object))
    return zones, gates


def _inside(rng: np.random.Generator, lattice: Lattice, cells: np.ndarray) -> np.ndarray:
    """A point well inside each given cell id (clear of the roads along its edges)."""
    u, v = rng.uniform(0.3, 0.7, (2, len(cells)))
    return shapely.points(bilinear(lattice.corners(lattice.cells[cells]), u, v))


def _pois(rng: np.random.Generator, lattice: Lattice, divisions: Divisions, zones: Places,
          gates: list[tuple[str, shapely.Point]]) -> Places:
    cells = lattice.cells
    core = np.flatnonzero(radius(cells[:, 0], cells[:, 1]) < ESTATE_RADIUS + 4)
    names: list[str] = []
    categories: list[str] = []
    geoms: list[shapely.Point] = []
    taken = set(zones.names)

    def add(name: str, category: str, point: shapely.Point) -> None:
        if name not in taken:
            taken.add(name)
            names.append(name)
            categories.append(category)
            geoms.append(point)

    for name, point in gates:
        add(name, "小区出入口", point)
    for zone_name, zone in zip(zones.names, zones.geoms, strict=True):  # a bus stop before most estates
        if rng.random() < 0.6:
            minx, miny, maxx, maxy = zone.bounds
            add(zone_name + "站", "公交站", shapely.Point((minx + maxx) / 2, miny - 6))
    for k, community in enumerate(divisions.community_names):
        mine = np.flatnonzero(divisions.cell_community == k)
        office = "居民委员会" if community.endswith("社区") else "村民委员会"
        add(community + office, "居委会", _inside(rng, lattice, rng.choice(mine, 1))[0])
    for s, street in enumerate(divisions.street_names):
        mine = np.flatnonzero(divisions.cell_street == s)
        office = "办事处" if street.endswith("街道") else "人民政府"
        add(street + office, "街道办事处", _inside(rng, lattice, rng.choice(mine, 1))[0])
    for category, count in POI_COUNTS.items():
        made = 0
        for word, suffix in zip(rng.permutation(PLACE_WORDS).tolist() * 2,
                                rng.choice(POI_KINDS[category], 2 * len(PLACE_WORDS)).tolist(), strict=True):
            if made == count:
                break
            before = len(names)
            add(word + suffix, category, _inside(rng, lattice, rng.choice(core, 1))[0])
            made += len(names) - before
    n = len(names)
    aliases: list[list[str]] = [[] for _ in range(n)]
    for i, name in enumerate(names):  # the usual short forms: 某某小学 → 某小, 某某农贸市场 → 某某菜场
        if name.endswith("小学") and rng.random() < 0.5:
            aliases[i].append(name[:-2] + "小")
        elif name.endswith("中学") and rng.random() < 0.5:
            aliases[i].append(name[:-2] + "中")
    return Places(codes=[f"POI{DISTRICT_CODE}{i + 1:05d}" for i in range(n)], names=names, categories=categories,
                  aliases=aliases, old_names=[[] for _ in range(n)], geoms=np.array(geoms, dtype=object))


def generate_addresses(rng: np.random.Generator, lattice: Lattice, divisions: Divisions, roads: Roads) -> Addresses:
    """Streets, door plates, estates and POIs of the demo district (metres, EPSG:4549)."""
    streets, plates, unplated = _streets_and_plates(rng, roads)
    zones, gates = _estates(rng, lattice)
    return Addresses(streets=streets, plates=plates, zones=zones, pois=_pois(rng, lattice, divisions, zones, gates),
                     unplated=unplated)
