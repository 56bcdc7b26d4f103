"""Evaluation grids 评价网格 from unit grids (SPEC §5.2): partitioning the unit-grid adjacency graph.

An evaluation grid is a set of whole, contiguous unit grids of one street, of 0.5–3 km² and
close to 1 km², compact (no snakes, no rings). The partition is deterministic: the same grids
(in code order) give the same regions, because every choice breaks ties by index.

Region growing, per connected part of a street:

1. seed at the free grid farthest from the centroid of the free grids (peeling from the outside
   in leaves no enclosed leftovers);
2. grow by the frontier grid nearest the region's area-weighted centroid (round regions), while
   that brings the area closer to the target;
3. merge regions below the minimum into their smallest neighbour that stays under the maximum;
   a part of a street that is too small as a whole becomes one region flagged ``too_small``.

Grids kept from an earlier build (``locked``) are left as they are, so rebuilding after a change
only regroups the grids of evaluation grids that changed. All geometry is in metres.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import shapely

from .topology import thinness


@dataclass(frozen=True)
class Rules:
    target_m2: float = 1_000_000.0
    min_m2: float = 500_000.0
    max_m2: float = 3_000_000.0
    min_compactness: float = 0.2  # Polsby–Popper; a 1×6 strip of squares is 0.38, 1×12 is 0.2
    contact_m: float = 1.0  # unit grids touching along less than this (a corner) are not neighbours


@dataclass(frozen=True)
class Graph:
    """Adjacency of unit grids as CSR arrays: the neighbours of ``i`` are ``indices[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray

    def neighbours(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i]: self.indptr[i + 1]]


def adjacency(geoms: np.ndarray, groups: np.ndarray, contact_m: float = 1.0) -> Graph:
    """Unit grids of the same group (street) sharing at least ``contact_m`` of boundary, or overlapping."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (left < right) & (groups[left] == groups[right])
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right])))
    touching = (shared >= contact_m) | shapely.overlaps(geoms[left], geoms[right])
    left, right = left[touching], right[touching]
    src, dst = np.concatenate([left, right]), np.concatenate([right, left])
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    indptr = np.searchsorted(src, np.arange(len(geoms) + 1))
    return Graph(indptr=indptr, indices=dst)


def components(graph: Graph, members: np.ndarray) -> list[np.ndarray]:
    """Connected parts of the subgraph on ``members`` (sorted indices), each sorted, in order of their first index."""
    inside = np.zeros(len(graph.indptr) - 1, dtype=bool)
    inside[members] = True
    seen = np.zeros_like(inside)
    parts = []
    for start in members:
        if seen[start]:
            continue
        seen[start] = True
        queue, part = deque([int(start)]), [int(start)]
        while queue:
            for n in graph.neighbours(int(queue.popleft())):
                if inside[n] and not seen[n]:
                    seen[n] = True
                    queue.append(int(n))
                    part.append(int(n))
        parts.append(np.sort(np.asarray(part)))
    return parts


def is_contiguous(graph: Graph, members: np.ndarray) -> bool:
    return len(members) > 0 and len(components(graph, np.sort(members))) == 1


def _grow(part: np.ndarray, graph: Graph, areas: np.ndarray, centres: np.ndarray, rules: Rules) -> list[list[int]]:
    free = np.zeros(len(areas), dtype=bool)
    free[part] = True
    regions: list[list[int]] = []
    while free.any():
        left = np.flatnonzero(free)
        middle = np.average(centres[left], axis=0, weights=areas[left])
        seed = int(left[np.argmax(((centres[left] - middle) ** 2).sum(axis=1))])
        region, area, moment = [seed], areas[seed], centres[seed] * areas[seed]
        free[seed] = False
        frontier = {int(n) for n in graph.neighbours(seed) if free[n]}
        while frontier and area < rules.target_m2:
            candidates = np.fromiter(sorted(frontier), dtype=int)
            centre = moment / area
            best = int(candidates[np.argmin(((centres[candidates] - centre) ** 2).sum(axis=1))])
            grown = area + areas[best]
            if grown > rules.max_m2 or abs(grown - rules.target_m2) >= abs(area - rules.target_m2):
                break
            region.append(best)
            area, moment = grown, moment + centres[best] * areas[best]
            free[best] = False
            frontier.discard(best)
            frontier.update(int(n) for n in graph.neighbours(best) if free[n])
        regions.append(sorted(region))
    return regions


def _merge_small(labels: np.ndarray, graph: Graph, areas: np.ndarray, mergeable: set[int],
                 rules: Rules) -> None:
    """Fold each region under the minimum into its smallest neighbouring region (in place)."""
    while True:
        area = np.bincount(labels[labels >= 0], weights=areas[labels >= 0], minlength=int(labels.max()) + 1)
        small = [r for r in sorted(mergeable) if 0 < area[r] < rules.min_m2]
        merged = False
        for r in sorted(small, key=lambda r: (area[r], r)):
            members = np.flatnonzero(labels == r)
            near = {int(labels[n]) for m in members for n in graph.neighbours(int(m))} - {r, -1}
            fits = sorted((area[n], n) for n in near if area[n] + area[r] <= rules.max_m2)
            if fits:
                labels[members] = fits[0][1]
                mergeable.discard(r)
                mergeable.add(fits[0][1])
                merged = True
                break
        if not merged:
            return


def partition(areas: np.ndarray, centres: np.ndarray, graph: Graph, groups: np.ndarray,
              locked: np.ndarray | None = None, rules: Rules | None = None) -> np.ndarray:
    """A region label per unit grid (labels of ``locked`` grids ≥ 0 are kept; free grids are -1 there).

    New labels follow the largest locked one, numbered in order of street, then part, then growth.
    ``groups`` is each grid's street; regions never cross groups.
    """
    rules = rules or Rules()
    labels = np.full(len(areas), -1, dtype=int) if locked is None else locked.astype(int).copy()
    fresh: set[int] = set()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for group in sorted(set(groups[labels < 0].tolist())):
        members = np.flatnonzero((groups == group) & (labels < 0))
        for part in components(graph, members):
            for region in _grow(part, graph, areas, centres, rules):
                labels[region] = next_label
                fresh.add(next_label)
                next_label += 1
    _merge_small(labels, graph, areas, fresh, rules)
    return labels


@dataclass(frozen=True)
class Region:
    """The measures of one evaluation grid, and the rules it breaks (``flags``)."""

    area_m2: float
    compactness: float
    contiguous: bool
    holes: int
    flags: tuple[str, ...]


def describe(members: np.ndarray, geoms: np.ndarray, graph: Graph, rules: Rules, whole_street: bool = False) -> Region:
    """Area, compactness, contiguity and holes of the union of ``members``; flags for each broken rule.

    ``too_small`` marks a region under the minimum that is its whole street (nothing to merge
    with); ``undersize``/``oversize`` any other region out of bounds.
    """
    shape = shapely.union_all(geoms[members]) if len(members) > 1 else geoms[members[0]]
    shape = shapely.make_valid(shape) if not shapely.is_valid(shape) else shape
    area = float(shapely.area(shape))
    compact = float(thinness(np.array([shape]))[0])
    holes = int(sum(shapely.get_num_interior_rings(p) for p in shapely.get_parts(shape)))
    contiguous = is_contiguous(graph, members)
    flags = []
    if area < rules.min_m2:
        flags.append("too_small" if whole_street else "undersize")
    if area > rules.max_m2:
        flags.append("oversize")
    if compact < rules.min_compactness:
        flags.append("not_compact")
    if holes:
        flags.append("ring")
    if not contiguous:
        flags.append("not_contiguous")
    return Region(area_m2=area, compactness=compact, contiguous=contiguous, holes=holes, flags=tuple(flags))
