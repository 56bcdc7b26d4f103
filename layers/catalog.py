"""The platform's layers, registered once here (imported by ``LayersConfig.ready``)."""

from __future__ import annotations

from .models import (
    POI,
    CleaningSegment,
    Community,
    Component,
    District,
    DoorPlate,
    Facility,
    ResponsibilityGrid,
    Road,
    Street,
    StreetLine,
    UnitGrid,
    Zone,
)
from .registry import Layer, Style, registry
from .roles import ADMIN, EVERYONE, PLANNER, SURVEYOR


def _polygon(line: str, fill: str, dark_line: str, dark_fill: str, weight: float = 1.0, opacity: float = 0.1) -> Style:
    return Style(
        light={"color": line, "weight": weight, "fillColor": fill, "fillOpacity": opacity},
        dark={"color": dark_line, "weight": weight, "fillColor": dark_fill, "fillOpacity": opacity},
    )


def _point(fill: str, dark_fill: str, radius: int = 4) -> Style:
    return Style(
        light={"radius": radius, "color": "#ffffff", "weight": 1, "fillColor": fill, "fillOpacity": 0.9},
        dark={"radius": radius, "color": "#111111", "weight": 1, "fillColor": dark_fill, "fillOpacity": 0.9},
    )


def _line(color: str, dark: str, weight: float) -> Style:
    return Style(light={"color": color, "weight": weight}, dark={"color": dark, "weight": weight})


LAYERS = [
    Layer(name="districts", title="区县", model=District, geometry_type="Polygon", fields=("code", "name"),
          zoom=(0, 22), style=_polygon("#5b2c6f", "#d2b4de", "#c39bd3", "#4a235a", 3, 0.02), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN}), scope_field="code", default_on=True),
    Layer(name="streets", title="街道", model=Street, geometry_type="Polygon", fields=("code", "name", "district"),
          zoom=(8, 22), style=_polygon("#1f618d", "#aed6f1", "#85c1e9", "#1b4f72", 2, 0.04), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN}), read_only_fields=("district",), scope_field="code", default_on=True),
    Layer(name="communities", title="社区", model=Community, geometry_type="Polygon", fields=("code", "name", "street"),
          zoom=(10, 22), style=_polygon("#117a65", "#a3e4d7", "#76d7c4", "#0e6251", 1.5, 0.05), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN}), read_only_fields=("street",), scope_field="code", default_on=True),
    Layer(name="unit_grids", title="单元网格", model=UnitGrid, geometry_type="Polygon",
          fields=("code", "community", "area_m2", "initial_date", "change_date"), zoom=(12, 22),
          style=_polygon("#ca6f1e", "#fdebd0", "#f0b27a", "#6e2c00", 0.8, 0.08), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN, SURVEYOR, PLANNER}), read_only_fields=("community", "area_m2"),
          scope_field="code", label_field="code", default_on=True),
    Layer(name="responsibility_grids", title="责任网格", model=ResponsibilityGrid, geometry_type="Polygon",
          fields=("code", "name", "kind", "assignee", "team"), zoom=(11, 22),
          style=_polygon("#943126", "#f5b7b1", "#f1948a", "#641e16", 1.2, 0.06), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN, PLANNER})),
    Layer(name="components", title="部件", model=Component, geometry_type="Geometry",
          fields=("code", "component_class", "name", "dept_admin", "dept_owner", "dept_maintain", "unit_grid", "status",
                  "initial_date", "change_date", "data_source", "location_desc", "currency_date", "scale_denominator",
                  "note", "photos"),
          zoom=(12, 22), style=_point("#2874a6", "#5dade2", 3), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN, SURVEYOR}), read_only_fields=("unit_grid",), scope_field="unit_grid",
          label_field="code", cluster_below=16, default_on=True),
    Layer(name="facilities", title="环卫设施", model=Facility, geometry_type="Point",
          fields=("kind", "code", "name", "address", "operator", "unit_grid", "attrs"), zoom=(10, 22),
          style=_point("#1e8449", "#58d68d", 5), read_roles=EVERYONE, edit_roles=frozenset({ADMIN, SURVEYOR, PLANNER}),
          read_only_fields=("unit_grid",), scope_field="unit_grid"),
    Layer(name="roads", title="道路", model=Road, geometry_type="LineString",
          fields=("name", "grade", "district", "length_m"), zoom=(10, 22), style=_line("#7b7d7d", "#d5d8dc", 2),
          read_roles=EVERYONE, edit_roles=frozenset({ADMIN, PLANNER}), read_only_fields=("district", "length_m")),
    Layer(name="cleaning_segments", title="清扫保洁路段", model=CleaningSegment, geometry_type="LineString",
          fields=("name", "road", "district", "grade", "width_m", "length_m", "area_m2", "team"), zoom=(12, 22),
          style=_line("#b9770e", "#f8c471", 3), read_roles=EVERYONE, edit_roles=frozenset({ADMIN, PLANNER}),
          read_only_fields=("district", "length_m", "area_m2")),
    # Geocoding entities (GB/T 30428.3): what case addresses are located against (SPEC §4, §5.3).
    Layer(name="place_zones", title="地片/区片", model=Zone, geometry_type="Polygon",
          fields=("code", "name", "aliases", "old_names"), zoom=(11, 22),
          style=_polygon("#6c3483", "#e8daef", "#bb8fce", "#4a235a", 1.0, 0.06), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN, SURVEYOR})),
    Layer(name="street_lines", title="街巷", model=StreetLine, geometry_type="LineString",
          fields=("code", "name", "aliases", "old_names", "left_from", "left_to", "right_from", "right_to"),
          zoom=(12, 22), style=_line("#a04000", "#edbb99", 2), read_roles=EVERYONE,
          edit_roles=frozenset({ADMIN, SURVEYOR})),
    Layer(name="door_plates", title="门(楼)牌", model=DoorPlate, geometry_type="Point",
          fields=("code", "street_name", "number", "building", "unit_grid", "aliases", "old_names"), zoom=(15, 22),
          style=_point("#b03a2e", "#f1948a", 3), read_roles=EVERYONE, edit_roles=frozenset({ADMIN, SURVEYOR}),
          read_only_fields=("unit_grid",), scope_field="unit_grid", label_field="number"),
    Layer(name="pois", title="兴趣点", model=POI, geometry_type="Point",
          fields=("code", "name", "category", "address", "unit_grid", "aliases", "old_names"), zoom=(13, 22),
          style=_point("#d4ac0d", "#f7dc6f", 4), read_roles=EVERYONE, edit_roles=frozenset({ADMIN, SURVEYOR}),
          read_only_fields=("unit_grid",), scope_field="unit_grid"),
]

for _layer in LAYERS:
    registry.register(_layer)
