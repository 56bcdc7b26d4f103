"""The whole demo city from a seed, as plain arrays and shapely geometries in EPSG:4490 (no database).

The lattice, roads, components and facilities are made in metres in CGCS2000 / 3-degree
Gauss-Krüger zone CM 120°E (EPSG:4549) around Dafeng's centre, then every coordinate is moved
to the storage CRS EPSG:4490 with one pyproj transform. Unions (communities, streets, the district,
responsibility grids) are taken after the transform from the stored unit grids themselves, so
they are exact unions of what is stored. The same ``seed`` and ``scale`` always give the same city.

>>> city = generate_city(scale=0.001)
>>> len(city.grids.codes), len(city.communities.codes), len(city.streets.codes)
(5000, 60, 6)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely
from pyproj import Transformer

from .addresses import Addresses, Places, generate_addresses
from .classes import EXTENSION_CLASSES, class_mix
from .components import Components, generate_components
from .divisions import divide
from .errors import InvalidScale
from .facilities import Facilities, generate_facilities
from .lattice import build_lattice
from .names import DISTRICT_CODE, DISTRICT_NAME
from .responsibility import ResponsibilityGrids, as_multipolygon, responsibility_grids
from .roads import Roads, build_roads

DEFAULT_SEED = 320982
MAX_SCALE = 10.0  # keeps every class's 6-digit sequence far from overflowing
CENTRE_LONLAT = (120.47, 33.20)  # 大丰 city centre
METRIC_SRID = 4549  # CGCS2000 / 3-degree Gauss-Krüger CM 120E (x = easting, y = northing with always_xy)
STORAGE_SRID = 4490
GRIDS_DRAWN = "2020-06-30"  # 初始划分日期 of every unit grid


@dataclass(frozen=True)
class AdminUnits:
    """District, streets or communities: codes, names, parent codes, MultiPolygons."""

    codes: list[str]
    names: list[str]
    parents: list[str]
    geoms: list[shapely.MultiPolygon]


@dataclass(frozen=True)
class UnitGrids:
    codes: list[str]
    communities: list[str]
    geoms: np.ndarray  # shapely Polygons
    initial_date: str = GRIDS_DRAWN


@dataclass(frozen=True)
class City:
    district: AdminUnits
    streets: AdminUnits
    communities: AdminUnits
    grids: UnitGrids
    roads: Roads
    components: Components
    facilities: Facilities
    responsibility: ResponsibilityGrids
    extension_classes: dict[str, str]  # 4-digit code → name, minor 80–99
    addresses: Addresses


def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_storage(geoms: np.ndarray) -> np.ndarray:
    """Geometries in EPSG:4549 metres → EPSG:4490 lon/lat, every vertex by the same transform."""
    forward = _transformer(METRIC_SRID, STORAGE_SRID)
    return shapely.transform(geoms, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))


def _unions(parts: np.ndarray, labels: np.ndarray, count: int) -> list[shapely.MultiPolygon]:
    """The exact union of the parts carrying each label 0…count-1 (parts share vertices: a coverage)."""
    return [as_multipolygon(shapely.coverage_union_all(parts[labels == k])) for k in range(count)]


def generate_city(seed: int = DEFAULT_SEED, scale: float = 1.0) -> City:
    """The demo district; ``scale`` multiplies the number of components and facilities (0 < scale ≤ 10)."""
    if not 0 < scale <= MAX_SCALE:
        raise InvalidScale(f"scale must lie in (0, {MAX_SCALE:g}], got {scale!r}", field="scale")
    rng = np.random.default_rng(seed)
    centre = _transformer(STORAGE_SRID, METRIC_SRID).transform(*CENTRE_LONLAT)
    lattice = build_lattice(rng, centre)
    divisions = divide(rng, lattice)
    roads = build_roads(rng, lattice, divisions)
    components = generate_components(rng, lattice, divisions, roads, class_mix(), scale)
    facilities = generate_facilities(rng, lattice, divisions, roads, scale)
    # The addresses draw from their own stream, so adding them left every other part of the city as it was.
    addresses = generate_addresses(np.random.default_rng([seed, 1]), lattice, divisions, roads)

    cells = to_storage(lattice.polygons())
    community_geoms = _unions(cells, divisions.cell_community, len(divisions.community_codes))
    n_streets = len(divisions.street_codes)
    street_geoms = _unions(np.array(community_geoms, dtype=object), divisions.community_street, n_streets)
    return City(
        district=AdminUnits([DISTRICT_CODE], [DISTRICT_NAME], [""],
                            _unions(np.array(street_geoms, dtype=object), np.zeros(n_streets, dtype=int), 1)),
        streets=AdminUnits(divisions.street_codes, divisions.street_names, [DISTRICT_CODE] * n_streets,
                           street_geoms),
        communities=AdminUnits(divisions.community_codes, divisions.community_names,
                               [divisions.street_codes[s] for s in divisions.community_street], community_geoms),
        grids=UnitGrids(divisions.grid_codes.tolist(), [c[:12] for c in divisions.grid_codes.tolist()], cells),
        roads=replace(roads, lines=to_storage(roads.lines), segment_lines=to_storage(roads.segment_lines)),
        components=replace(components, geoms=to_storage(components.geoms)),
        facilities=replace(facilities, geoms=to_storage(facilities.geoms)),
        responsibility=responsibility_grids(divisions, np.array(community_geoms, dtype=object)),
        extension_classes={code: name for code, (name, _) in EXTENSION_CLASSES.items()},
        addresses=_addresses_to_storage(addresses),
    )


def _addresses_to_storage(a: Addresses) -> Addresses:
    def places(p: Places) -> Places:
        return replace(p, geoms=to_storage(p.geoms))

    return Addresses(streets=replace(a.streets, lines=to_storage(a.streets.lines)),
                     plates=replace(a.plates, points=to_storage(a.plates.points)),
                     zones=places(a.zones), pois=places(a.pois),
                     unplated=replace(a.unplated, points=to_storage(a.unplated.points)))
