"""Responsibility grids 责任网格 of the four kinds, as unions of whole communities (so of unit grids).

- supervisor 监督员: one per community; the core street's are bound to the demo ``supervisor``
  account (so the mobile client has grids of its own and others to warn about), the rest to teams;
- sanitation patrol 环卫巡查: one per street, its 环卫所;
- greening maintenance 绿化养护: each street cut into a west and an east tender section 标段;
- enforcement patrol 执法巡查: each street cut into a north and a south squad 分队 of its brigade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .divisions import Divisions
from .names import DISTRICT_NAME

SUPERVISOR_USERNAME = "supervisor"


@dataclass(frozen=True)
class ResponsibilityGrids:
    codes: list[str]
    names: list[str]
    kinds: list[str]
    assignees: list[str | None]  # username of the person bound to the grid, or None for a team
    teams: list[str]
    geoms: list[shapely.MultiPolygon]


def as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    return geom if isinstance(geom, shapely.MultiPolygon) else shapely.MultiPolygon([geom])


def _halves(members: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``members`` split in two by ``key`` (the lower half first); neither half is empty for ≥ 2 members."""
    ordered = members[np.argsort(key[members], kind="stable")]
    return ordered[: len(ordered) // 2], ordered[len(ordered) // 2 :]


def responsibility_grids(divisions: Divisions, communities: np.ndarray) -> ResponsibilityGrids:
    """The grids over ``communities`` (polygons in community-index order)."""
    rows: list[tuple[str, str, str, str | None, str, shapely.MultiPolygon]] = []

    def add(code: str, name: str, kind: str, members: np.ndarray, team: str = "", assignee: str | None = None) -> None:
        union = as_multipolygon(shapely.coverage_union_all(communities[members]))
        rows.append((code, name, kind, assignee, team, union))

    for index, (code, name) in enumerate(zip(divisions.community_codes, divisions.community_names, strict=True)):
        street = int(divisions.community_street[index])
        own = street == 0
        add(f"JDY{code}", f"{name}监督员网格", "supervisor", np.array([index]),
            team="" if own else f"{divisions.street_names[street]}城管监督员组",
            assignee=SUPERVISOR_USERNAME if own else None)

    centres = shapely.centroid(communities)
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    tender = 0
    for street, (code, name) in enumerate(zip(divisions.street_codes, divisions.street_names, strict=True)):
        members = np.flatnonzero(divisions.community_street == street)
        add(f"HWXC{code}", f"{name}环卫巡查网格", "sanitation", members, team=f"{name}环卫所")
        for half, (part, side) in enumerate(zip(_halves(members, x), ("西片", "东片"), strict=True), start=1):
            tender += 1
            add(f"LHYH{code}{half}", f"{name}{side}绿化养护网格", "greening", part,
                team=f"{DISTRICT_NAME}园林绿化养护有限公司第{tender}标段")
        for half, (part, side) in enumerate(zip(_halves(members, y), ("南片", "北片"), strict=True), start=1):
            add(f"ZFXC{code}{half}", f"{name}{side}执法巡查网格", "enforcement", part,
                team=f"{DISTRICT_NAME}城市管理行政执法大队{name}中队{side}分队")
    codes, names, kinds, assignees, teams, geoms = (list(column) for column in zip(*rows, strict=True))
    return ResponsibilityGrids(codes, names, kinds, assignees, teams, geoms)
