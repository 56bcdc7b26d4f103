"""The topology check on hand-made unit grids (metres): each planted problem is found, and only it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridding.topology import Tolerances, Units, check, summary

STREET, COMMUNITY = "320982001", "320982001001"


def units(codes: list[str], parents: list[str], geoms: list[shapely.Geometry]) -> Units:
    return Units(np.array(codes, dtype=object), np.array(parents, dtype=object), np.array(geoms, dtype=object))


def lattice(n: int = 3, size: float = 100.0) -> tuple[list[str], list[shapely.Geometry]]:
    """n×n square unit grids of ``size`` metres tiling the community exactly."""
    codes, geoms = [], []
    for k, (i, j) in enumerate((i, j) for j in range(n) for i in range(n)):
        codes.append(f"{COMMUNITY}{k + 1:03d}")
        geoms.append(shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size))
    return codes, geoms


def run(codes: list[str], geoms: list[shapely.Geometry], tol: Tolerances | None = None,
        community: shapely.Geometry | None = None, parents: list[str] | None = None) -> dict[str, int]:
    grids = units(codes, parents or [COMMUNITY] * len(codes), geoms)
    communities = units([COMMUNITY], [STREET], [community or shapely.box(0, 0, 300, 300)])
    streets = units([STREET], ["320982"], [shapely.box(0, 0, 300, 300)])
    return summary(check(grids, communities, streets, tol))


def test_a_clean_tiling_has_no_problem() -> None:
    assert set(run(*lattice()).values()) == {0}


def test_planted_overlap_is_found_with_its_area_and_both_codes() -> None:
    codes, geoms = lattice()
    geoms[0] = shapely.box(0, 0, 120, 100)  # 20 m into its eastern neighbour: 2,000 m²
    grids = units(codes, [COMMUNITY] * 9, geoms)
    found = check(grids, units([COMMUNITY], [STREET], [shapely.box(0, 0, 300, 300)]),
                  units([STREET], ["320982"], [shapely.box(0, 0, 300, 300)]))
    overlaps = [p for p in found if p.kind == "overlap"]
    assert len(overlaps) == 1 and overlaps[0].codes == (codes[0], codes[1])
    assert overlaps[0].area_m2 == pytest.approx(2000) and overlaps[0].geom.area == pytest.approx(2000)
    assert overlaps[0].unit == COMMUNITY


def test_planted_gap_is_found_and_tolerance_hides_noise() -> None:
    codes, geoms = lattice()
    geoms[4] = shapely.box(110, 100, 200, 200)  # a 10 m strip of the community is left uncovered
    assert run(codes, geoms)["gap"] == 1
    assert run(codes, geoms, Tolerances(gap_m2=2000))["gap"] == 0
    codes, geoms = lattice()
    del codes[8], geoms[8]  # a missing grid is a gap of its whole area
    assert run(codes, geoms)["gap"] == 1


def test_slivers_thin_or_tiny() -> None:
    codes, geoms = lattice()
    geoms[2] = shapely.box(200, 0, 300, 99)  # …
    codes.append(f"{COMMUNITY}010")
    geoms.append(shapely.box(200, 99, 300, 100))  # … and a 1 m strip of 100 m² fills the rest
    result = run(codes, geoms)
    assert result["sliver"] == 1 and result["gap"] == 0 and result["overlap"] == 0


def test_grid_outside_its_community_and_codes_out_of_hierarchy() -> None:
    codes, geoms = lattice()
    geoms[8] = shapely.box(200, 200, 350, 300)  # 50 m beyond the community's eastern edge
    codes[3] = "320982001002004"  # a grid of community 001 coded as if in 002
    codes[5] = "32098200100106"  # 14 digits
    result = run(codes, geoms)
    assert result["outside"] == 1 and result["code_hierarchy"] == 1 and result["code_format"] == 1


def test_invalid_geometry_is_reported_and_does_not_stop_the_other_checks() -> None:
    codes, geoms = lattice()
    geoms[0] = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])  # a bow tie
    geoms[1] = shapely.box(90, 0, 200, 100)
    result = run(codes, geoms)
    assert result["invalid_geometry"] == 1 and result["overlap"] >= 1 and result["gap"] == 2


def test_bad_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="gap_m2"):
        Tolerances(gap_m2=-1)
