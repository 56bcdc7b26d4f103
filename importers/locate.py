"""Each staged row's unit grid, found in Python while the batch is staged.

The SQL rule (``kinds.components.derive_unit_grids``) is a GiST join of the staged positions
with the grids; for a census most of its cost is rewriting every wide staged row to fill one
column. Here the grids are read once per import into a GEOS
STRtree and each batch's probe points (the point, or ``point_on_surface`` of a line/polygon,
as ``ST_PointOnSurface``) are located with one vectorised query; the value is staged with the
row. The rule is the SQL one: the lowest-coded grid the probe intersects (boundary included).
Rows it leaves empty (invalid geometries, repaired in SQL first; positions outside every grid,
which the SQL rule then rejects) go through the SQL derivation, and a stored twin with an
unchanged position keeps its stored grid as before.
"""

from __future__ import annotations

import numpy as np
import shapely
from psycopg import Cursor


class GridLocator:
    def __init__(self, cur: Cursor):
        cur.execute("SELECT code, ST_AsBinary(geom) FROM layers_unitgrid ORDER BY code")
        rows = cur.fetchall()
        # The codes, and None after them: the "code" of a probe no grid holds.
        self.codes = np.array([*(code for code, _ in rows), None], dtype=object)
        self.tree = shapely.STRtree(shapely.from_wkb([bytes(wkb) for _, wkb in rows]))

    def locate(self, geoms: np.ndarray) -> list[str | None]:
        """The unit grid code of each geometry (``None`` where missing, invalid or outside every grid)."""
        none = len(self.codes) - 1
        # The grid of each geometry by index into the codes (``none`` until found).
        best = np.full(len(geoms), none, dtype=np.int64)
        # An invalid line/polygon is repaired in SQL first (``repair_geometries``): its grid is derived there.
        present = np.flatnonzero(~shapely.is_missing(geoms) & shapely.is_valid(geoms))
        if len(present) and none:
            probes = geoms[present]
            polygonal = shapely.get_type_id(probes) != 0
            if polygonal.any():
                probes = probes.copy()
                probes[polygonal] = shapely.point_on_surface(probes[polygonal])
            where, grid = self.tree.query(probes, predicate="intersects")
            # The grids are in code order: the lowest code of a probe is its smallest grid index.
            np.minimum.at(best, present[where], grid)
        return self.codes[best].tolist()
