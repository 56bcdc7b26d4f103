"""Components 部件: where each stands, its 标识码 and census attributes, all drawn in vectorised steps.

Every component is placed inside one known cell, by the bilinear map of the cell's quadrilateral
at parameters kept away from its edges, so its unit grid is the cell it was drawn in (never a
neighbour sharing an edge). Roadside classes stand a few metres off the road side of a cell,
railings are short lines there, green plots and car parks small quadrilaterals inside the cell.
Identifiers are numbered per class in unit-grid order, so neighbouring components have
neighbouring codes, as a census team numbering street by street would produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .classes import ClassMix, Placement, class_counts
from .divisions import Divisions
from .lattice import Lattice, bilinear, radius
from .names import DISTRICT_CODE
from .roads import SIDE_WORDS, Roads

STATUSES = ("完好", "破损", "丢失", "占用")
STATUS_P = (0.93, 0.045, 0.01, 0.015)
NOTES = {"完好": "", "破损": "2024年复查发现破损", "丢失": "2024年复查发现缺失", "占用": "2024年复查发现被占用"}
CENSUS_START, CENSUS_DAYS = np.datetime64("2021-03-01"), 275  # the first census, March–November 2021
LAST_CHANGE = np.datetime64("2024-05-31")
CHANGED_SHARE = 0.12  # intact components changed since the census (moved, replaced …)
ROAD_GRADE_WEIGHT = np.array([0.0, 3.0, 2.0, 1.5, 1.0])  # by grade: busier roads carry more furniture
MARGIN = 0.03  # keep clear of the cell edges by this fraction of the cell
ROADSIDE_OFFSET = (0.015, 0.06)  # distance from the road side, as a fraction of the cell


@dataclass(frozen=True)
class Components:
    codes: np.ndarray
    classes: np.ndarray  # 4-digit class code
    names: np.ndarray
    dept_admin: np.ndarray
    dept_owner: np.ndarray
    dept_maintain: np.ndarray
    grids: np.ndarray  # 15-digit unit grid code
    status: np.ndarray
    initial_date: np.ndarray  # datetime64[D]
    change_date: np.ndarray  # datetime64[D], NaT when unchanged
    location: np.ndarray
    notes: np.ndarray
    geoms: np.ndarray  # shapely, metres until the generator moves them to EPSG:4490
    data_source: str = "普查"
    currency_date: str = "2024-06-30"  # 现势性: the 2024 check of the whole census
    scale_denominator: int = 500


def centrality(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Relative density of city furniture in a cell: highest in the core, never zero at the edge."""
    return np.exp(-radius(rows, cols) / 18.0) + 0.1


def _side_params(side: np.ndarray, along: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) of a point ``along`` a cell side and ``off`` it inwards; sides 0 S, 1 E, 2 N, 3 W."""
    u = np.select([side == 0, side == 1, side == 2], [along, 1 - off, along], off)
    v = np.select([side == 0, side == 1, side == 2], [off, along, 1 - off], along)
    return u, v


def _place(rng: np.random.Generator, lattice: Lattice, roads: Roads, placement: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell id, geometry (metres) and roadside slot (-1 if none) of each component."""
    n = len(placement)
    cells = lattice.cells
    along_road = (placement == Placement.ROADSIDE) | (placement == Placement.LINE)
    slot = np.full(n, -1)
    slot_cells = cells[roads.slot_cell]
    slot_w = centrality(slot_cells[:, 0], slot_cells[:, 1]) * ROAD_GRADE_WEIGHT[roads.grades[roads.slot_road]]
    slot[along_road] = rng.choice(len(slot_w), int(along_road.sum()), p=slot_w / slot_w.sum())
    cell_w = centrality(cells[:, 0], cells[:, 1])
    cell = rng.choice(len(cells), n, p=cell_w / cell_w.sum())
    cell[along_road] = roads.slot_cell[slot[along_road]]
    corners = lattice.corners(cells[cell])

    geoms = np.empty(n, dtype=object)
    off = rng.uniform(*ROADSIDE_OFFSET, n)
    side = roads.slot_side[slot]
    start = rng.uniform(0.04, 0.6, n)
    length = rng.uniform(0.1, 0.35, n)
    roadside = placement == Placement.ROADSIDE
    u, v = _side_params(side[roadside], rng.uniform(0.04, 0.96, n)[roadside], off[roadside])
    geoms[roadside] = shapely.points(bilinear(corners[roadside], u, v))

    line = placement == Placement.LINE
    ends = [_side_params(side[line], t[line], off[line]) for t in (start, start + length)]
    coords = np.stack([bilinear(corners[line], *ends[0]), bilinear(corners[line], *ends[1])], axis=1)
    geoms[line] = shapely.linestrings(coords)

    area = placement == Placement.AREA
    u0, v0, du, dv = start[area], rng.uniform(0.05, 0.6, n)[area], length[area], rng.uniform(0.1, 0.35, n)[area]
    ring = [(u0, v0), (u0 + du, v0), (u0 + du, v0 + dv), (u0, v0 + dv), (u0, v0)]
    coords = np.stack([bilinear(corners[area], a, b) for a, b in ring], axis=1)
    geoms[area] = shapely.polygons(coords)

    free = placement == Placement.FREE
    u, v = (rng.uniform(MARGIN, 1 - MARGIN, (2, n))[:, free])
    geoms[free] = shapely.points(bilinear(corners[free], u, v))
    return cell, geoms, slot


def _dates(rng: np.random.Generator, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(status)
    initial = CENSUS_START + rng.integers(0, CENSUS_DAYS, n).astype("timedelta64[D]")
    span = (LAST_CHANGE - initial).astype(int) - 30
    change = initial + (30 + (rng.random(n) * span).astype(int)).astype("timedelta64[D]")
    changed = (status != STATUSES[0]) | (rng.random(n) < CHANGED_SHARE)
    return initial, np.where(changed, change, np.datetime64("NaT"))


def generate_components(rng: np.random.Generator, lattice: Lattice, divisions: Divisions, roads: Roads,
                        mix: ClassMix, scale: float) -> Components:
    """All components of the district at ``scale`` (1.0 = the 138,662 of the reference census)."""
    klass = np.repeat(np.arange(len(mix.codes)), class_counts(rng, mix, scale))
    cell, geoms, slot = _place(rng, lattice, roads, mix.placement()[klass])

    grid_rank = np.argsort(np.argsort(divisions.grid_codes))
    order = np.lexsort((rng.random(len(klass)), grid_rank[cell], klass))
    klass, cell, geoms, slot = klass[order], cell[order], geoms[order], slot[order]
    first = np.searchsorted(klass, klass)  # index of the first component of the same class
    sequence = np.char.zfill((np.arange(len(klass)) - first + 1).astype(str), 6)
    class_codes = np.asarray(mix.codes)[klass]

    status = rng.choice(STATUSES, len(klass), p=STATUS_P)
    initial, change = _dates(rng, status)
    departments = np.asarray(mix.departments())[klass]
    community = np.asarray(divisions.community_names)[divisions.cell_community[cell]]
    beside = np.char.add(np.asarray(roads.names)[roads.slot_road[slot]], np.asarray(SIDE_WORDS)[roads.slot_side[slot]])
    return Components(
        codes=np.char.add(np.char.add(DISTRICT_CODE, class_codes), sequence),
        classes=class_codes,
        names=np.asarray(mix.names)[klass],
        dept_admin=departments[:, 0], dept_owner=departments[:, 1], dept_maintain=departments[:, 2],
        grids=divisions.grid_codes[cell],
        status=status,
        initial_date=initial,
        change_date=change,
        location=np.where(slot >= 0, beside, np.char.add(community, "内")),
        notes=np.vectorize(NOTES.get)(status),
        geoms=geoms,
    )
