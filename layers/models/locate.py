"""Deriving where a feature is: the unit grid (and so community, street, district) under a geometry."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError

from .grids import UnitGrid


def unit_grid_at(geom: GEOSGeometry) -> UnitGrid:
    """The unit grid containing ``geom``'s representative point (lowest code on a shared edge).

    Raises ``ValidationError`` (rule ``inside_district``) when no unit grid lies under it.
    """
    probe = geom if geom.geom_type == "Point" else geom.point_on_surface
    grid = UnitGrid.objects.filter(geom__intersects=probe).order_by("code").first()
    if grid is None:
        raise ValidationError({"geom": ValidationError(
            f"position {probe.x:.6f},{probe.y:.6f} (EPSG:{geom.srid}) lies outside every unit grid of the "
            "district", code="inside_district",
        )})
    return grid
