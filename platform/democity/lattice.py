"""The district's cell lattice: 5,000 jittered quadrilaterals sharing vertices, in metres (EPSG:4549).

Unit grids are the cells of one lattice whose neighbours share the very same vertex coordinates,
so any union of cells tiles exactly (no gaps, no slivers) and stays exact after a vertex-wise
CRS transform. The lattice is made in index space (one cell = one unit), jittered by at most
``JITTER`` (≤ 0.2 keeps every quadrilateral convex), and warped radially so cells are small in the
urban core and grow outwards. The district is the 5,000 cells nearest the centre under a wobbly
star-shaped radius, which gives an irregular but hole-free outline.

Every ``ROAD_EVERY``-th lattice line is kept straight in index space: the main roads run along them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

SIDE = 110  # cells per side of the index-space square the district is cut from
UNIT_GRIDS = 5_000
JITTER = 0.2  # maximum vertex offset, in cells
CORE_CELL_M = 150.0  # cell size at the centre
GROWTH_M = 4.0  # each cell further out is this many metres larger
ROAD_EVERY = 3
CENTRE = SIDE // 2  # the lattice vertex at the city centre


@dataclass(frozen=True)
class Lattice:
    """Vertices in metres and which cells of the square make the district."""

    vertices: np.ndarray  # (SIDE+1, SIDE+1, 2) easting, northing; indexed [row j (south→north), column i]
    inside: np.ndarray  # (SIDE, SIDE) bool

    @property
    def cells(self) -> np.ndarray:
        """(n, 2) row and column of each district cell, row-major: the cell ids used everywhere."""
        return np.argwhere(self.inside)

    @property
    def cell_id(self) -> np.ndarray:
        """(SIDE, SIDE) id of each district cell, -1 outside the district."""
        ids = np.full(self.inside.shape, -1)
        ids[self.inside] = np.arange(int(self.inside.sum()))
        return ids

    def corners(self, cells: np.ndarray) -> np.ndarray:
        """(k, 4, 2) SW, SE, NE, NW corners of the given (k, 2) row/column cells."""
        j, i = cells[:, 0], cells[:, 1]
        v = self.vertices
        return np.stack([v[j, i], v[j, i + 1], v[j + 1, i + 1], v[j + 1, i]], axis=1)

    def polygons(self) -> np.ndarray:
        """The district cells as shapely polygons, in cell-id order."""
        ring = self.corners(self.cells)
        return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def radius(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Distance, in cells, of the centres of cells (rows, cols) from the city centre."""
    return np.hypot(cols + 0.5 - CENTRE, rows + 0.5 - CENTRE)


def is_road_line(index: np.ndarray) -> np.ndarray:
    """Whether lattice lines ``index`` carry a main road (grades 1–3)."""
    return (index - CENTRE) % ROAD_EVERY == 0


def bilinear(corners: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points at parameters (u, v) ∈ [0, 1]² of quadrilaterals (k, 4, 2): u runs west→east, v south→north.

    For a convex quadrilateral the map is one-to-one onto it, so 0 < u, v < 1 lies strictly inside.
    """
    u, v = u[:, None], v[:, None]
    sw, se, ne, nw = corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3]
    return (1 - u) * (1 - v) * sw + u * (1 - v) * se + u * v * ne + (1 - u) * v * nw


def build_lattice(rng: np.random.Generator, centre_m: tuple[float, float]) -> Lattice:
    """The jittered, warped lattice around ``centre_m`` (easting, northing) and its 5,000 district cells."""
    index = np.arange(SIDE + 1, dtype=float)
    grid = np.stack(np.meshgrid(index, index), axis=-1)  # [j, i] → (i, j)
    jitter = rng.uniform(-JITTER, JITTER, grid.shape)
    road = is_road_line(np.arange(SIDE + 1))
    jitter[:, road, 0] = 0.0  # vertical road lines stay straight …
    jitter[road, :, 1] = 0.0  # … and so do horizontal ones
    offset = grid + jitter - CENTRE
    spread = np.hypot(offset[..., 0], offset[..., 1])[..., None]
    vertices = np.asarray(centre_m) + offset * (CORE_CELL_M + GROWTH_M * spread)

    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    angle = np.arctan2(rows + 0.5 - CENTRE, cols + 0.5 - CENTRE)
    harmonics = np.arange(2, 5)[:, None, None]
    wobble = 1 + (rng.uniform(0.04, 0.09, (3, 1, 1)) * np.cos(harmonics * angle + rng.uniform(0, 2 * np.pi, (3, 1, 1))))
    shape = radius(rows, cols) / wobble.prod(axis=0)
    inside = np.zeros(SIDE * SIDE, dtype=bool)
    inside[np.argsort(shape, axis=None, kind="stable")[:UNIT_GRIDS]] = True
    return Lattice(vertices=vertices, inside=inside.reshape(SIDE, SIDE))
