"""Evaluation-grid partitioning on hand-made unit grids (metres): every constraint holds, the result is
deterministic and stable, and awkward shapes (rings, strips, gaps, a too-small street) never break it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridding.evaluation import Rules, adjacency, describe, is_contiguous, partition

RULES = Rules()
HARD = {"undersize", "oversize", "ring", "not_contiguous", "not_compact"}


def squares(cells: list[tuple[int, int]], size: float = 250.0) -> np.ndarray:
    return np.array([shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size) for i, j in cells], dtype=object)


def run(geoms: np.ndarray, groups: np.ndarray, locked: np.ndarray | None = None) -> tuple[np.ndarray, object]:
    graph = adjacency(geoms, groups)
    centres = shapely.get_coordinates(shapely.centroid(geoms))
    return partition(shapely.area(geoms), centres, graph, groups, locked), graph


def regions(labels: np.ndarray, geoms: np.ndarray, graph: object, groups: np.ndarray) -> list:
    out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        whole = len(members) == int((groups == groups[members[0]]).sum())
        out.append((members, describe(members, geoms, graph, RULES, whole_street=whole)))  # type: ignore[arg-type]
    return out


def block(width: int, height: int, dx: int = 0) -> list[tuple[int, int]]:
    return [(i + dx, j) for j in range(height) for i in range(width)]


def test_a_block_street_makes_compact_grids_near_one_square_km() -> None:
    geoms = squares(block(24, 20))  # 480 grids of 0.0625 km²: 30 km²
    groups = np.zeros(len(geoms), dtype=int)
    labels, graph = run(geoms, groups)
    found = regions(labels, geoms, graph, groups)
    assert 20 <= len(found) <= 40
    for _members, region in found:
        assert not (set(region.flags) & HARD), region
        assert 0.5e6 <= region.area_m2 <= 3e6 and region.holes == 0 and region.contiguous
    areas = np.array([r.area_m2 for _, r in found])
    assert abs(np.median(areas) - 1e6) < 0.15e6


def test_the_same_input_gives_the_same_partition() -> None:
    geoms = squares(block(16, 12))
    groups = np.zeros(len(geoms), dtype=int)
    first, _ = run(geoms, groups)
    second, _ = run(geoms.copy(), groups.copy())
    assert (first == second).all()


def test_grids_never_cross_streets_and_a_too_small_street_gets_one_flagged_grid() -> None:
    cells = block(12, 12) + block(2, 3, dx=12)  # a 9 km² street and, east of it, one of 0.375 km²
    geoms = squares(cells)
    groups = np.array([0] * 144 + [1] * 6)
    labels, graph = run(geoms, groups)
    for members, region in regions(labels, geoms, graph, groups):
        assert len(set(groups[members])) == 1
        if groups[members[0]] == 1:
            assert len(members) == 6 and region.flags == ("too_small",)
        else:
            assert not region.flags


@pytest.mark.parametrize("name, cells", [
    # a square ring three cells wide around an empty middle: growth must not close a ring
    ("ring", [(i, j) for j in range(14) for i in range(14) if not (3 <= i < 11 and 3 <= j < 11)]),
    # a comb: long teeth one cell wide, the classic snake-maker
    ("comb", [(i, j) for i in range(20) for j in range(12) if j == 0 or i % 3 == 0]),
    # an L with a long thin arm
    ("L", block(10, 10) + [(i, 0) for i in range(10, 30)]),
])
def test_snake_prone_shapes_stay_within_bounds_and_without_rings(name: str, cells: list[tuple[int, int]]) -> None:
    geoms = squares(cells)
    groups = np.zeros(len(geoms), dtype=int)
    labels, graph = run(geoms, groups)
    for _members, region in regions(labels, geoms, graph, groups):
        assert region.contiguous and region.holes == 0, (name, region)
        assert region.area_m2 <= RULES.max_m2, (name, region)
        assert region.area_m2 >= RULES.min_m2, (name, region)


def test_gaps_and_overlaps_do_not_break_the_builder() -> None:
    cells = block(12, 8)
    geoms = squares(cells)
    geoms[5] = shapely.box(1250, 0, 1600, 250)  # overlaps its eastern neighbour by 100 m
    keep = np.array([not (i == 6 and j < 8) for i, j in cells])  # a full column missing: the street is cut in two
    geoms, groups = geoms[keep], np.zeros(int(keep.sum()), dtype=int)
    labels, graph = run(geoms, groups)
    assert (labels >= 0).all()
    for members, region in regions(labels, geoms, graph, groups):
        assert region.contiguous
        xs = shapely.get_coordinates(shapely.centroid(geoms[members]))[:, 0]
        assert (xs < 1500).all() or (xs > 1750).all()  # never across the cut


def test_locked_grids_keep_their_labels_and_only_free_grids_are_regrouped() -> None:
    geoms = squares(block(16, 12))
    groups = np.zeros(len(geoms), dtype=int)
    first, graph = run(geoms, groups)
    locked = first.copy()
    changed = np.isin(first, [first[0], first[-1]])
    locked[changed] = -1
    second = partition(shapely.area(geoms), shapely.get_coordinates(shapely.centroid(geoms)), graph, groups, locked)
    assert (second[~changed] == first[~changed]).all()
    assert set(second[changed]) .isdisjoint(set(first[~changed]))
    for label in set(second[changed]):
        assert is_contiguous(graph, np.flatnonzero(second == label))


def test_corner_contact_is_not_adjacency() -> None:
    geoms = squares([(0, 0), (1, 1)])
    graph = adjacency(geoms, np.zeros(2, dtype=int))
    assert len(graph.indices) == 0
