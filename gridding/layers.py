"""The gridding layers in the one layer registry (imported by ``GriddingConfig.ready``).

Everyone reads them; planners (and admins) draw zone areas and evaluation points through the
layer API. Evaluation grids, topology problems, sampling rounds and fishnet cells are made by
the gridding operations (``/api/gridding/…``, ``gridcity grids …``), which run their own checks,
so the generic API serves them read-only. Evaluation grids are scoped by their street's code,
topology problems by the code of the grid or community they concern, sampling rounds and fishnet
cells by their area's code; the others by where their point on surface lies (the rule of ``layers.access``).
"""

from __future__ import annotations

from layers.registry import Layer, Style, registry
from layers.roles import ADMIN, EVERYONE, PLANNER

from .models import (
    EvaluationGrid,
    EvaluationPoint,
    FishnetCell,
    RoundGrid,
    RoundPoint,
    SamplingRound,
    TopologyProblem,
    ZoneArea,
)

EDITORS = frozenset({ADMIN, PLANNER})


# Density per km² → fill colour, as a heat map (the map colours each cell by its ``density_km2``).
HEAT_STOPS = [[0, "#fff5eb"], [100, "#fdd0a2"], [300, "#fd8d3c"], [1000, "#d94801"], [3000, "#7f2704"]]


def _heat() -> Style:
    """Fishnet cells: no outline to speak of, filled by a colour ramp over their density."""
    ramp = {"field": "density_km2", "stops": HEAT_STOPS}
    return Style(
        light={"color": "#a04000", "weight": 0.3, "fillOpacity": 0.6, "ramp": ramp},
        dark={"color": "#000000", "weight": 0.3, "fillOpacity": 0.6, "ramp": ramp},
    )


def _area(line: str, fill: str, dark_line: str, dark_fill: str, weight: float, opacity: float,
          dash: str | None = None) -> Style:
    extra = {"dashArray": dash} if dash else {}
    return Style(
        light={"color": line, "weight": weight, "fillColor": fill, "fillOpacity": opacity, **extra},
        dark={"color": dark_line, "weight": weight, "fillColor": dark_fill, "fillOpacity": opacity, **extra},
    )


def _point(fill: str, dark_fill: str, radius: int) -> Style:
    return Style(
        light={"radius": radius, "color": "#ffffff", "weight": 1, "fillColor": fill, "fillOpacity": 0.9},
        dark={"radius": radius, "color": "#111111", "weight": 1, "fillColor": dark_fill, "fillOpacity": 0.9},
    )


LAYERS = [
    Layer(name="evaluation_grids", title="评价网格", model=EvaluationGrid, geometry_type="Polygon",
          fields=("code", "street", "member_count", "area_m2", "compactness", "flags"), zoom=(10, 22),
          style=_area("#6c3483", "#e8daef", "#d2b4de", "#4a235a", 2.0, 0.05), read_roles=EVERYONE, scope_field="street",
          label_field="code"),
    Layer(name="zone_areas", title="区域类型(A/B/C)", model=ZoneArea, geometry_type="Polygon",
          fields=("zone_type", "name"), zoom=(9, 22),
          style=_area("#b03a2e", "#fadbd8", "#f1948a", "#641e16", 1.0, 0.15, "4 3"), read_roles=EVERYONE,
          edit_roles=EDITORS, label_field="zone_type"),
    Layer(name="evaluation_points", title="考评点位", model=EvaluationPoint, geometry_type="Geometry",
          fields=("code", "name", "point_type"), zoom=(12, 22), style=_point("#af601a", "#f5b041", 4),
          read_roles=EVERYONE, edit_roles=EDITORS),
    Layer(name="topology_problems", title="网格拓扑问题", model=TopologyProblem, geometry_type="Geometry",
          fields=("kind", "unit_code", "codes", "area_m2", "message"), zoom=(10, 22),
          style=_area("#e74c3c", "#e74c3c", "#ff6f61", "#ff6f61", 2.5, 0.6), read_roles=EVERYONE,
          scope_field="unit_code", label_field="kind"),
    Layer(name="sampling_rounds", title="抽样轮次", model=SamplingRound, geometry_type="Polygon",
          fields=("area_code", "number", "city_class", "seed", "created_by", "created_at"), zoom=(9, 22),
          style=_area("#1a5276", "#1a5276", "#5dade2", "#5dade2", 1.0, 0.02), read_roles=EVERYONE,
          scope_field="area_code", label_field="number"),
    Layer(name="sampling_grids", title="抽中评价网格", model=RoundGrid, geometry_type="Polygon",
          fields=("round", "evaluation_grid", "zone_type", "cycle"), zoom=(10, 22),
          style=_area("#1f618d", "#5499c7", "#85c1e9", "#2e86c1", 3.0, 0.3), read_roles=EVERYONE,
          label_field="evaluation_grid"),
    Layer(name="sampling_points", title="抽中考评点位", model=RoundPoint, geometry_type="Geometry",
          fields=("round", "evaluation_grid", "point_code", "point_type", "name"), zoom=(12, 22),
          style=_point("#c0392b", "#ff7675", 6), read_roles=EVERYONE),
    Layer(name="fishnet_cells", title="规则格网密度", model=FishnetCell, geometry_type="Polygon",
          fields=("fishnet", "count", "density_km2", "area_m2"), zoom=(9, 22), style=_heat(), read_roles=EVERYONE,
          scope_field="area_code", label_field="count"),
]

for _layer in LAYERS:
    registry.register(_layer)
