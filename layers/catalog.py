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
    Layer("districts", "区县", District, "Polygon", ("code", "name"), (0, 22),
          _polygon("#5b2c6f", "#d2b4de", "#c39bd3", "#4a235a", 3, 0.02), EVERYONE, frozenset({ADMIN}),
          scope_field="code"),
    Layer("streets", "街道", Street, "Polygon", ("code", "name", "district"), (8, 22),
          _polygon("#1f618d", "#aed6f1", "#85c1e9", "#1b4f72", 2, 0.04), EVERYONE, frozenset({ADMIN}),
          read_only_fields=("district",), scope_field="code"),
    Layer("communities", "社区", Community, "Polygon", ("code", "name", "street"), (10, 22),
          _polygon("#117a65", "#a3e4d7", "#76d7c4", "#0e6251", 1.5, 0.05), EVERYONE, frozenset({ADMIN}),
          read_only_fields=("street",), scope_field="code"),
    Layer("unit_grids", "单元网格", UnitGrid, "Polygon",
          ("code", "community", "area_m2", "initial_date", "change_date"), (12, 22),
          _polygon("#ca6f1e", "#fdebd0", "#f0b27a", "#6e2c00", 0.8, 0.08), EVERYONE,
          frozenset({ADMIN, SURVEYOR, PLANNER}), read_only_fields=("community", "area_m2"),
          scope_field="code", label_field="code"),
    Layer("responsibility_grids", "责任网格", ResponsibilityGrid, "Polygon",
          ("code", "name", "kind", "assignee", "team"), (11, 22),
          _polygon("#943126", "#f5b7b1", "#f1948a", "#641e16", 1.2, 0.06), EVERYONE, frozenset({ADMIN, PLANNER})),
    Layer("components", "部件", Component, "Geometry",
          ("code", "component_class", "name", "dept_admin", "dept_owner", "dept_maintain", "unit_grid", "status",
           "initial_date", "change_date", "data_source", "location_desc", "currency_date", "scale_denominator",
           "note", "photos"), (12, 22),
          _point("#2874a6", "#5dade2", 3), EVERYONE, frozenset({ADMIN, SURVEYOR}),
          read_only_fields=("unit_grid",), scope_field="unit_grid", label_field="code", cluster_below=16),
    Layer("facilities", "环卫设施", Facility, "Point",
          ("kind", "code", "name", "address", "operator", "unit_grid", "attrs"), (10, 22),
          _point("#1e8449", "#58d68d", 5), EVERYONE, frozenset({ADMIN, SURVEYOR, PLANNER}),
          read_only_fields=("unit_grid",), scope_field="unit_grid"),
    Layer("roads", "道路", Road, "LineString", ("name", "grade", "district", "length_m"), (10, 22),
          _line("#7b7d7d", "#d5d8dc", 2), EVERYONE, frozenset({ADMIN, PLANNER}),
          read_only_fields=("district", "length_m")),
    Layer("cleaning_segments", "清扫保洁路段", CleaningSegment, "LineString",
          ("name", "road", "district", "grade", "width_m", "length_m", "area_m2", "team"), (12, 22),
          _line("#b9770e", "#f8c471", 3), EVERYONE, frozenset({ADMIN, PLANNER}),
          read_only_fields=("district", "length_m", "area_m2")),
    # Geocoding entities (GB/T 30428.3): what case addresses are located against (SPEC §4, §5.3).
    Layer("place_zones", "地片/区片", Zone, "Polygon", ("code", "name", "aliases", "old_names"), (11, 22),
          _polygon("#6c3483", "#e8daef", "#bb8fce", "#4a235a", 1.0, 0.06), EVERYONE, frozenset({ADMIN, SURVEYOR})),
    Layer("street_lines", "街巷", StreetLine, "LineString",
          ("code", "name", "aliases", "old_names", "left_from", "left_to", "right_from", "right_to"), (12, 22),
          _line("#a04000", "#edbb99", 2), EVERYONE, frozenset({ADMIN, SURVEYOR})),
    Layer("door_plates", "门(楼)牌", DoorPlate, "Point",
          ("code", "street_name", "number", "building", "unit_grid", "aliases", "old_names"), (15, 22),
          _point("#b03a2e", "#f1948a", 3), EVERYONE, frozenset({ADMIN, SURVEYOR}),
          read_only_fields=("unit_grid",), scope_field="unit_grid", label_field="number"),
    Layer("pois", "兴趣点", POI, "Point",
          ("code", "name", "category", "address", "unit_grid", "aliases", "old_names"), (13, 22),
          _point("#d4ac0d", "#f7dc6f", 4), EVERYONE, frozenset({ADMIN, SURVEYOR}),
          read_only_fields=("unit_grid",), scope_field="unit_grid"),
]

for _layer in LAYERS:
    registry.register(_layer)
