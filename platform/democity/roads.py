"""Roads 道路 along lattice lines, their cleaning segments 清扫保洁路段, and the roadside slots.

A road is a maximal run of interior lattice edges (a cell of the district on both sides) along one
lattice line. Every third line carries a main road, graded by how central the line is in the
rhythm (every 12th a grade-1 大道, every 6th grade 2, the rest grade 3); inside the old town the
lines in between carry grade-4 lanes 巷. Cleaning segments split a road where a main road
crosses it and are named after their ends, as a sanitation ledger would: 健康路（人民路—黄海大道）.

The roadside slots (a cell and the side of it a road runs along) let components such as manhole
covers, street lamps and trees be placed along roads rather than anywhere in a cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .divisions import Divisions
from .lattice import CENTRE, SIDE, Lattice, is_road_line
from .names import PLACE_WORDS, ROAD_ENDS, ROAD_SUFFIX, RUN_SUFFIX

LANE_RADIUS = 10  # cells from the centre: the old town, where lanes run between the main roads
MIN_RUN_EDGES = 2
WIDTH_M = {1: 40.0, 2: 30.0, 3: 20.0, 4: 8.0}  # cleaned width by grade, carriageway and pavements
MACHINE_SWEPT = (1, 2)  # grades swept by the district's machine team; the rest by each street's 环卫所
# Side of its cell a road runs along (0 south, 1 east, 2 north, 3 west) → where the cell lies from the road.
SIDE_WORDS = ("北侧", "西侧", "南侧", "东侧")


@dataclass(frozen=True)
class Roads:
    names: list[str]
    grades: np.ndarray
    lines: np.ndarray  # shapely LineStrings, in metres (EPSG:4490 once in a City)
    segment_road: np.ndarray  # road index of each cleaning segment
    segment_names: list[str]
    segment_teams: list[str]
    segment_lines: np.ndarray
    slot_cell: np.ndarray  # roadside slots: cell id, side of the cell (0 S, 1 E, 2 N, 3 W), road index
    slot_side: np.ndarray
    slot_road: np.ndarray

    @property
    def segment_grades(self) -> np.ndarray:
        return self.grades[self.segment_road]

    @property
    def segment_widths(self) -> np.ndarray:
        return np.vectorize(WIDTH_M.get)(self.segment_grades)


@dataclass(frozen=True)
class _Run:
    orient: str  # "h" along a row of vertices (west→east), "v" along a column (south→north)
    line: int
    start: int  # first edge; edges start … end-1, vertices start … end
    end: int
    grade: int


def _grade(line: int) -> int:
    offset = (line - CENTRE) % 12
    return 1 if offset == 0 else 2 if offset == 6 else 3


def _edge_masks(lattice: Lattice) -> dict[str, np.ndarray]:
    """Interior edges: [line, edge] for horizontal lines (cells below and above) and vertical ones."""
    inside = np.pad(lattice.inside, 1)  # a ring of outside cells so every edge has two neighbours
    return {"h": inside[:-1, 1:-1] & inside[1:, 1:-1], "v": (inside[1:-1, :-1] & inside[1:-1, 1:]).T}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True of at least MIN_RUN_EDGES in a 1-D mask."""
    steps = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= MIN_RUN_EDGES]


def _find_runs(lattice: Lattice) -> list[_Run]:
    masks = _edge_masks(lattice)
    main = is_road_line(np.arange(SIDE + 1))
    mids = np.arange(SIDE) + 0.5 - CENTRE
    runs = []
    for orient, mask in masks.items():
        for line in range(SIDE + 1):
            old_town = np.hypot(mids, line - CENTRE) < LANE_RADIUS  # edge midpoints near the centre
            grade = _grade(line) if main[line] else 4
            usable = mask[line] if grade < 4 else mask[line] & old_town
            runs += [_Run(orient, line, s, e, grade) for s, e in _runs(usable)]
    return runs


def _run_suffix(orient: str, position: int, count: int) -> str:
    """西段/东段 (南段/北段), with 中段 between, when one lattice line carries several runs of a road."""
    words = RUN_SUFFIX[orient]
    if count == 1:
        return ""
    if count == 2:
        return words[0] if position == 0 else words[2]
    return words[position] if count == 3 else f"{position + 1}段"


def _names(rng: np.random.Generator, runs: list[_Run]) -> list[str]:
    """One word per lattice line (main roads and lanes drawn apart, so names are unique)."""
    keys = [(r.orient, r.line, r.grade == 4) for r in runs]
    main = sorted({k for k in keys if not k[2]})
    lanes = sorted({k for k in keys if k[2]})
    word = dict(zip(main, rng.choice(PLACE_WORDS, len(main), replace=False), strict=True))
    word |= dict(zip(lanes, rng.choice(PLACE_WORDS, len(lanes), replace=False), strict=True))
    names = []
    for index, (run, key) in enumerate(zip(runs, keys, strict=True)):
        position, count = keys[:index].count(key), keys.count(key)
        names.append(word[key] + ROAD_SUFFIX[run.grade] + _run_suffix(run.orient, position, count))
    return names


def _vertices(run: _Run) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of a run's vertices in order."""
    along = np.arange(run.start, run.end + 1)
    fixed = np.full_like(along, run.line)
    return (fixed, along) if run.orient == "h" else (along, fixed)


def _cells_beside(run: _Run) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(rows, cols, side) of the cells on either side of a run's edges; side as in ``Roads.slot_side``."""
    along = np.arange(run.start, run.end)
    line = np.full_like(along, run.line)
    if run.orient == "h":
        return [(line, along, 0), (line - 1, along, 2)]  # cell above: road on its south side; below: north
    return [(along, line, 3), (along, line - 1, 1)]  # cell to the east: road on its west side; west: east


def build_roads(rng: np.random.Generator, lattice: Lattice, divisions: Divisions) -> Roads:
    runs = _find_runs(lattice)
    names = _names(rng, runs)
    ids = lattice.cell_id
    crossing = {o: np.full((SIDE + 1, SIDE + 1), -1) for o in "hv"}  # main road through each vertex
    for index, run in enumerate(runs):
        if run.grade < 4:
            crossing[run.orient][_vertices(run)] = index

    lines, seg_road, seg_names, seg_teams, seg_lines = [], [], [], [], []
    slot_cell, slot_side, slot_road = [], [], []
    for index, run in enumerate(runs):
        rows, cols = _vertices(run)
        coords = lattice.vertices[rows, cols]
        lines.append(shapely.linestrings(coords))
        other = crossing["v" if run.orient == "h" else "h"][rows, cols]
        cuts = [0, *(np.flatnonzero(other[1:-1] >= 0) + 1), len(rows) - 1]
        ends = ROAD_ENDS[run.orient]
        beside = _cells_beside(run)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            label_a = names[other[a]] if other[a] >= 0 else ends[0]
            label_b = names[other[b]] if other[b] >= 0 else ends[1]
            seg_road.append(index)
            seg_names.append(f"{names[index]}（{label_a}—{label_b}）")
            seg_lines.append(shapely.linestrings(coords[a : b + 1]))
            cell = ids[beside[0][0][a], beside[0][1][a]]
            street = divisions.street_names[divisions.cell_street[cell]]
            seg_teams.append("大丰区环境卫生管理处机扫队" if run.grade in MACHINE_SWEPT else f"{street}环卫所")
        for r, c, side in beside:
            slot_cell.append(ids[r, c])
            slot_side.append(np.full(len(r), side))
            slot_road.append(np.full(len(r), index))

    return Roads(
        names=names, grades=np.array([r.grade for r in runs]), lines=np.array(lines, dtype=object),
        segment_road=np.array(seg_road), segment_names=seg_names, segment_teams=seg_teams,
        segment_lines=np.array(seg_lines, dtype=object), slot_cell=np.concatenate(slot_cell),
        slot_side=np.concatenate(slot_side), slot_road=np.concatenate(slot_road),
    )

