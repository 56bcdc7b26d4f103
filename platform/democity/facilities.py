"""Facilities 设施 (SPEC §1, §4): sanitation, recycling, construction-waste and hazardous-waste sites.

The counts of the reference district are kept where SPEC gives them (286 drop-off points,
4 transfer stations, 33 construction sites, 5 disposal sites); the rest are plausible for a
district of this size. Neighbourhood facilities stand in the dense core, plants and disposal
sites on the outskirts. Each kind has one small maker returning its name, operator and the
typed attributes ``layers.facility_kinds`` defines, as plain Python values (JSON-ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from .components import MARGIN, centrality
from .divisions import Divisions
from .lattice import Lattice, bilinear, radius
from .names import (
    COMPANY_WORDS,
    CONTRACTORS,
    DISTRICT_CODE,
    DISTRICT_NAME,
    HAZWASTE_CATEGORIES,
    HOSPITALS,
    INDUSTRIES,
    PLACE_WORDS,
    PROJECT_KINDS,
    RECYCLABLES,
)
from .roads import Roads

# kind → (count at scale 1, code prefix, where it stands)
PLAN = {
    "dropoff_point": (286, "TFD", "core"),
    "collection_point": (420, "SJD", "core"),
    "collection_station": (24, "SJZ", "core"),
    "public_toilet": (128, "GC", "core"),
    "recycling_point": (60, "HSD", "core"),
    "transfer_station": (4, "ZYZ", "outskirts"),
    "sorting_centre": (1, "FJZ", "outskirts"),
    "incineration_plant": (1, "FSC", "outskirts"),
    "landfill": (1, "TMC", "outskirts"),
    "kitchen_waste_plant": (1, "CYC", "outskirts"),
    "construction_site": (33, "GD", "anywhere"),
    "disposal_site": (5, "XNC", "outskirts"),
    "hazwaste_generator": (40, "WFC", "anywhere"),
    "hazwaste_handler": (3, "WFJ", "outskirts"),
}
SANITATION = f"{DISTRICT_NAME}环境卫生管理处"
RECYCLER = f"{DISTRICT_NAME}供销合作社再生资源有限公司"


@dataclass(frozen=True)
class Site:
    """Where one facility stands, for its name and address."""

    number: int  # 1-based within its kind
    local: int  # 1-based within its kind and community
    street: str
    community: str
    road: str


@dataclass(frozen=True)
class Facilities:
    kinds: list[str]
    codes: list[str]
    names: list[str]
    addresses: list[str]
    operators: list[str]
    grids: list[str]
    attrs: list[dict[str, object]]
    geoms: np.ndarray  # shapely points, metres until the generator moves them to EPSG:4490


Made = tuple[str, str, dict[str, object]]  # name, operator, attrs


def _tonnes(x: float) -> float:
    return round(float(x), 1)


def _committee(community: str) -> str:
    return community + ("居委会" if community.endswith("社区") else "村委会")


def _collection_point(rng: np.random.Generator, s: Site) -> Made:
    return f"{s.community}{s.local}号垃圾收集点", f"{s.street}环卫所", {
        "type": int(rng.choice([1, 2])), "floor_area_m2": _tonnes(rng.uniform(8, 40)),
        "source": str(rng.choice(["居民", "单位", "其他"], p=[0.75, 0.2, 0.05])), "sorted": bool(rng.random() < 0.7),
        "daily_tonnage": _tonnes(rng.uniform(0.3, 3)), "pickups_per_day": int(rng.choice([1, 2])),
        "coverage": f"{s.community}",
    }


def _collection_station(rng: np.random.Generator, s: Site) -> Made:
    return f"{s.community}垃圾收集站", f"{s.street}环卫所", {
        "type": int(rng.choice([1, 2])), "floor_area_m2": _tonnes(rng.uniform(80, 300)), "source": "居民",
        "sorted": bool(rng.random() < 0.8), "daily_tonnage": _tonnes(rng.uniform(5, 25)),
        "pickups_per_day": int(rng.choice([2, 3])), "coverage": f"{s.street}{s.community}及周边",
    }


def _dropoff_point(rng: np.random.Generator, s: Site) -> Made:
    hours = ["07:00-09:00,18:00-20:00", "06:30-08:30,17:30-19:30", "全天"]
    return f"{s.community}{s.local}号垃圾分类投放点", _committee(s.community), {
        "sorted": bool(rng.random() < 0.95), "bins": int(rng.integers(2, 9)), "opening_hours": str(rng.choice(hours)),
    }


def _transfer_station(rng: np.random.Generator, s: Site) -> Made:
    size = str(rng.choice(["大", "中", "小"], p=[0.25, 0.5, 0.25]))
    design = {"大": 450.0, "中": 200.0, "小": 80.0}[size]
    return f"{s.road}垃圾转运站", SANITATION, {
        "size": size, "grade": {"大": "II", "中": "III", "小": "IV"}[size],
        "design_tonnage": design, "actual_tonnage": _tonnes(design * rng.uniform(0.6, 0.95)),
    }


def _plant(name: str, operator: str, design: float) -> Callable[[np.random.Generator, Site], Made]:
    def make(rng: np.random.Generator, s: Site) -> Made:
        return name, operator, {"design_tonnage": design, "actual_tonnage": _tonnes(design * rng.uniform(0.3, 0.95))}

    return make


def _public_toilet(rng: np.random.Generator, s: Site) -> Made:
    return f"{s.community}{s.local}号公厕", SANITATION, {
        "category": "固定式" if rng.random() < 0.9 else "活动式",
        "grade": str(rng.choice(["一类", "二类", "三类"], p=[0.2, 0.5, 0.3])), "stalls": int(rng.integers(4, 25)),
        "opening_hours": "24小时" if rng.random() < 0.3 else "06:00-22:00", "accessible": bool(rng.random() < 0.8),
    }


def _recycling_point(rng: np.random.Generator, s: Site) -> Made:
    materials = rng.choice(RECYCLABLES, int(rng.integers(2, 5)), replace=False)
    return f"{s.community}{s.local}号再生资源回收点", RECYCLER, {"materials": "、".join(sorted(materials))}


def _sorting_centre(rng: np.random.Generator, s: Site) -> Made:
    return f"{DISTRICT_NAME}再生资源分拣中心", RECYCLER, {
        "floor_area_m2": 12000.0, "daily_tonnage": _tonnes(rng.uniform(80, 150)),
    }


def _construction_site(rng: np.random.Generator, s: Site) -> Made:
    contractor = str(rng.choice(CONTRACTORS))
    return f"{rng.choice(PLACE_WORDS)}{rng.choice(PROJECT_KINDS)}项目", contractor, {
        "permit": f"大城管建渣〔2024〕{s.number:03d}号", "contractor": contractor,
    }


def _disposal_site(rng: np.random.Generator, s: Site) -> Made:
    return f"{s.street}{s.local}号建筑垃圾消纳场", f"{DISTRICT_NAME}城市管理局", {
        "capacity_m3": float(rng.integers(50, 300) * 1000),
    }


def _hazwaste_generator(rng: np.random.Generator, s: Site) -> Made:
    if rng.random() < 0.1:
        name = str(rng.choice(HOSPITALS))
    else:
        name = f"盐城{rng.choice(PLACE_WORDS)}{rng.choice(INDUSTRIES)}有限公司"
    categories = rng.choice(HAZWASTE_CATEGORIES, int(rng.integers(1, 4)), replace=False)
    return name, name, {
        "licence": f"91320982MA{rng.integers(10**7, 10**8)}001P", "categories": "、".join(sorted(categories)),
    }


def _hazwaste_handler(rng: np.random.Generator, s: Site) -> Made:
    name = f"江苏{rng.choice(COMPANY_WORDS)}环保科技有限公司"
    return name, name, {
        "licence": f"JSYC0982OOD{s.number:03d}-1", "capacity_t": float(rng.integers(50, 300) * 100),
    }


MAKERS: dict[str, Callable[[np.random.Generator, Site], Made]] = {
    "dropoff_point": _dropoff_point,
    "collection_point": _collection_point,
    "collection_station": _collection_station,
    "public_toilet": _public_toilet,
    "recycling_point": _recycling_point,
    "transfer_station": _transfer_station,
    "sorting_centre": _sorting_centre,
    "incineration_plant": _plant(f"{DISTRICT_NAME}生活垃圾焚烧发电厂", "大丰绿能环保能源有限公司", 1000.0),
    "landfill": _plant(f"{DISTRICT_NAME}生活垃圾卫生填埋场", SANITATION, 600.0),
    "kitchen_waste_plant": _plant(f"{DISTRICT_NAME}餐厨废弃物资源化处理中心", "大丰绿源生物科技有限公司", 100.0),
    "construction_site": _construction_site,
    "disposal_site": _disposal_site,
    "hazwaste_generator": _hazwaste_generator,
    "hazwaste_handler": _hazwaste_handler,
}


def facility_count(kind: str, scale: float) -> int:
    """How many of ``kind`` at ``scale``: never fewer than one, so every kind is on the demo map."""
    return max(1, round(PLAN[kind][0] * scale))


def _cell_weights(lattice: Lattice) -> dict[str, np.ndarray]:
    cells = lattice.cells
    core = centrality(cells[:, 0], cells[:, 1])
    outskirts = radius(cells[:, 0], cells[:, 1]) ** 4
    return {w: a / a.sum() for w, a in (("core", core), ("outskirts", outskirts), ("anywhere", np.ones(len(cells))))}


def generate_facilities(rng: np.random.Generator, lattice: Lattice, divisions: Divisions, roads: Roads,
                        scale: float) -> Facilities:
    cells = lattice.cells
    weights = _cell_weights(lattice)
    nearest_road = shapely.STRtree(roads.lines).query_nearest(shapely.centroid(lattice.polygons()))[1]
    rows: list[tuple[str, str, str, str, str, str, dict[str, object]]] = []
    geoms = []
    for kind, (_, prefix, where) in PLAN.items():
        n = facility_count(kind, scale)
        cell = rng.choice(len(cells), n, p=weights[where])
        u, v = rng.uniform(MARGIN, 1 - MARGIN, (2, n))
        geoms.append(shapely.points(bilinear(lattice.corners(cells[cell]), u, v)))
        per_community: dict[int, int] = {}
        for number, c in enumerate(cell.tolist(), start=1):
            community = int(divisions.cell_community[c])
            per_community[community] = per_community.get(community, 0) + 1
            site = Site(number, per_community[community], divisions.street_names[divisions.cell_street[c]],
                        divisions.community_names[community], roads.names[nearest_road[c]])
            name, operator, typed = MAKERS[kind](rng, site)
            address = f"{site.street}{site.community}{site.road}{rng.integers(1, 300)}号"
            rows.append((kind, f"{prefix}{DISTRICT_CODE}{number:04d}", name, address, operator,
                         str(divisions.grid_codes[c]), typed))
    kinds, codes, names, addresses, operators, grids, attrs = (list(column) for column in zip(*rows, strict=True))
    return Facilities(kinds, codes, names, addresses, operators, grids, attrs, np.concatenate(geoms))
