"""The roads the simulator drives on: the roads layer's lines (the demo city's, or imported ones)."""

from __future__ import annotations

import shapely

from layers.models import Road


def demo_roads() -> list[shapely.LineString]:
    """Every road of the platform as a shapely line in EPSG:4490."""
    return [shapely.from_wkb(bytes(r.geom.wkb)) for r in Road.objects.only("geom")]
