"""Topology of unit grids 单元网格 (SPEC §3, §4, §5.2): pure checks over shapely 2 arrays in metres.

Grids of one community must not overlap, must together cover it, and must lie inside it; a
community lies inside its street; codes nest by prefix (grid 15 = community 12 + 3, community
12 = street 9 + 3). Thin or tiny grids are slivers, usually digitising errors. Every check is a
vectorised shapely operation (an STRtree for candidate pairs); the result is a list of
:class:`Problem` with the offending geometry, so a report and a map layer come from the same list.

All geometries are in a metric CRS (CGCS2000 Gauss-Krüger): areas in m², no degrees.

>>> import shapely
>>> grids = Units(np.array(["320982001001001", "320982001001002"]), np.array(["320982001001"] * 2),
...               np.array([shapely.box(0, 0, 100, 100), shapely.box(90, 0, 200, 100)]))
>>> community = Units(np.array(["320982001001"]), np.array(["320982001"]), np.array([shapely.box(0, 0, 200, 120)]))
>>> street = Units(np.array(["320982001"]), np.array(["320982"]), np.array([shapely.box(0, 0, 200, 120)]))
>>> sorted({p.kind for p in check(grids, community, street)})
['gap', 'overlap']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely

KINDS = {
    "invalid_geometry": "几何无效",
    "code_format": "编码格式错误",
    "code_hierarchy": "编码与上级不一致",
    "overlap": "网格重叠",
    "gap": "网格缝隙",
    "outside": "网格超出社区",
    "community_outside": "社区超出街道",
    "sliver": "狭长或碎小网格",
}


@dataclass(frozen=True)
class Tolerances:
    """What counts as a problem: areas below these are float noise, not errors."""

    overlap_m2: float = 1.0
    gap_m2: float = 1.0
    outside_m2: float = 1.0
    sliver_m2: float = 50.0  # a unit grid smaller than this is a sliver …
    sliver_thinness: float = 0.1  # … and so is one whose Polsby–Popper 4πA/P² is below this (a square: 0.785)

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"tolerance {name} must be a number ≥ 0, got {value!r}")


@dataclass(frozen=True)
class Units:
    """Codes, parent codes and polygons (metres) of one level: unit grids, communities or streets."""

    codes: np.ndarray
    parents: np.ndarray
    geoms: np.ndarray


@dataclass(frozen=True)
class Problem:
    kind: str
    unit: str  # the community it concerns (a grid's own community): its code scopes the problem to a jurisdiction
    codes: tuple[str, ...]
    area_m2: float
    message: str
    geom: shapely.Geometry | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "title": KINDS[self.kind], "unit": self.unit, "codes": list(self.codes),
                "area_m2": round(self.area_m2, 2), "message": self.message}


def thinness(geoms: np.ndarray) -> np.ndarray:
    """Polsby–Popper compactness 4πA/P² of each geometry: 1 for a disc, 0.785 for a square, → 0 for a sliver."""
    perimeter = shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perimeter > 0, 4 * np.pi * shapely.area(geoms) / perimeter**2, 0.0)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the areal parts of ``geom`` (an intersection may also hold lines and points), as a MultiPolygon."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    polys = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty]
    return shapely.multipolygons(polys) if polys else shapely.MultiPolygon()


def _valid(units: Units) -> np.ndarray:
    return np.where(shapely.is_valid(units.geoms), units.geoms, shapely.make_valid(units.geoms))


def _codes(grids: Units, communities: Units) -> list[Problem]:
    problems = []
    digits = np.char.isdigit(grids.codes.astype(str))
    length_ok = np.char.str_len(grids.codes.astype(str)) == 15
    for i in np.flatnonzero(~(digits & length_ok)):
        problems.append(Problem("code_format", str(grids.parents[i]), (str(grids.codes[i]),), 0.0,
                                f"unit grid code {grids.codes[i]} must be 15 digits", grids.geoms[i]))
    prefix = np.array([str(c)[:12] for c in grids.codes])
    for i in np.flatnonzero(prefix != grids.parents.astype(str)):
        problems.append(Problem("code_hierarchy", str(grids.parents[i]), (str(grids.codes[i]), str(grids.parents[i])),
                                0.0, f"unit grid {grids.codes[i]} lies in community {grids.parents[i]} but its "
                                f"code starts with {prefix[i]}", grids.geoms[i]))
    prefix = np.array([str(c)[:9] for c in communities.codes])
    for i in np.flatnonzero(prefix != communities.parents.astype(str)):
        problems.append(Problem("code_hierarchy", str(communities.codes[i]), (str(communities.codes[i]),),
                                0.0, f"community {communities.codes[i]} belongs to street {communities.parents[i]} "
                                f"but its code starts with {prefix[i]}", communities.geoms[i]))
    return problems


def _overlaps(grids: Units, geoms: np.ndarray, tol: float) -> list[Problem]:
    codes = grids.codes
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.intersection(geoms[left], geoms[right])
    area = shapely.area(shared)
    return [
        Problem("overlap", str(grids.parents[i]), (str(codes[i]), str(codes[j])), float(a),
                f"unit grids {codes[i]} and {codes[j]} overlap by {a:.1f} m² (tolerance {tol} m²)", polygonal(g))
        for i, j, a, g in zip(left, right, area, shared, strict=True) if a > tol
    ]


def _gaps(grids: Units, grid_geoms: np.ndarray, communities: Units, community_geoms: np.ndarray,
          tol: float) -> list[Problem]:
    problems = []
    for k, code in enumerate(communities.codes):
        members = grid_geoms[grids.parents == code]
        covered = shapely.union_all(members) if len(members) else shapely.Polygon()
        gap = shapely.difference(community_geoms[k], covered)
        parts = shapely.get_parts(polygonal(gap))
        for part, area in zip(parts, shapely.area(parts), strict=True):
            if area > tol:
                problems.append(Problem("gap", str(code), (str(code),), float(area),
                                        f"{area:.1f} m² of community {code} is covered by none of its "
                                        f"{len(members)} unit grids (tolerance {tol} m²)",
                                        shapely.multipolygons([part])))
    return problems


def _outside(children: Units, child_geoms: np.ndarray, parents: Units, parent_geoms: np.ndarray, tol: float,
             kind: str, what: str, parent_what: str) -> list[Problem]:
    index = {str(c): i for i, c in enumerate(parents.codes)}
    which = np.array([index.get(str(p), -1) for p in children.parents], dtype=int)
    has = which >= 0
    out = np.full(len(child_geoms), None, dtype=object)
    out[has] = shapely.difference(child_geoms[has], parent_geoms[which[has]])
    area = np.where(has, shapely.area(np.where(has, out, shapely.Polygon())), 0.0)
    return [
        Problem(kind, str(children.parents[i] if kind == "outside" else children.codes[i]),
                (str(children.codes[i]), str(children.parents[i])), float(area[i]),
                f"{what} {children.codes[i]} lies {area[i]:.1f} m² outside its {parent_what} {children.parents[i]} "
                f"(tolerance {tol} m²)", polygonal(out[i]))
        for i in np.flatnonzero(area > tol)
    ]


def _slivers(grids: Units, geoms: np.ndarray, tol: Tolerances) -> list[Problem]:
    area, thin = shapely.area(geoms), thinness(geoms)
    bad = (area < tol.sliver_m2) | (thin < tol.sliver_thinness)
    return [
        Problem("sliver", str(grids.parents[i]), (str(grids.codes[i]),), float(area[i]),
                f"unit grid {grids.codes[i]} is a sliver: {area[i]:.1f} m², compactness {thin[i]:.3f} "
                f"(limits {tol.sliver_m2} m², {tol.sliver_thinness})", polygonal(geoms[i]))
        for i in np.flatnonzero(bad)
    ]


def check(grids: Units, communities: Units, streets: Units, tol: Tolerances | None = None) -> list[Problem]:
    """Every topology problem of ``grids`` against their ``communities`` and those against their ``streets``.

    ``grids.parents`` are community codes, ``communities.parents`` street codes. Invalid geometries
    are reported and then repaired (``make_valid``) for the other checks, so one bad grid never
    hides the rest.
    """
    tol = tol or Tolerances()
    problems = [
        Problem("invalid_geometry", str(grids.parents[i]), (str(grids.codes[i]),), 0.0,
                f"unit grid {grids.codes[i]} has an invalid geometry: {shapely.is_valid_reason(grids.geoms[i])}",
                grids.geoms[i])
        for i in np.flatnonzero(~shapely.is_valid(grids.geoms))
    ]
    grid_geoms, community_geoms, street_geoms = _valid(grids), _valid(communities), _valid(streets)
    problems += _codes(grids, communities)
    problems += _overlaps(grids, grid_geoms, tol.overlap_m2)
    problems += _gaps(grids, grid_geoms, communities, community_geoms, tol.gap_m2)
    problems += _outside(grids, grid_geoms, communities, community_geoms, tol.outside_m2, "outside",
                         "unit grid", "community")
    problems += _outside(communities, community_geoms, streets, street_geoms, tol.outside_m2, "community_outside",
                         "community", "street")
    problems += _slivers(grids, grid_geoms, tol)
    return problems


def summary(problems: list[Problem]) -> dict[str, int]:
    """Problems per kind, every kind listed (zero when clean)."""
    counts = Counter(p.kind for p in problems)
    return {kind: counts.get(kind, 0) for kind in KINDS}
