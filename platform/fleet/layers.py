"""The vehicles layer in the one registry (imported by ``FleetConfig.ready``).

Its geometry is the live position, so the tiles, the GeoJSON API and the map's layer list serve
live positions like any layer. It is read-only in the generic layer API: vehicles are registered
through ``/api/vehicles/`` (no geometry; a client never sets a live position) and positions only
come from the ingest. Scoped by ``area_code`` (the unit a vehicle serves): a street's users see
their street's vehicles wherever they drive.
"""

from __future__ import annotations

from layers.registry import Layer, Style, registry
from layers.roles import ADMIN, DISPATCHER, EVERYONE

from .models import Vehicle

# Who may register, change and delete vehicles and people (through /api/vehicles/).
EDITORS = frozenset({ADMIN, DISPATCHER})

VEHICLES = registry.register(Layer(
    name="vehicles", title="车辆与人员", model=Vehicle, geometry_type="Point",
    fields=("category", "kind", "name", "plate", "plate_colour", "group", "company", "terminal", "area_code",
            "available", "fix_time", "speed", "heading"), zoom=(8, 22),
    style=Style(light={"radius": 6, "color": "#ffffff", "weight": 2, "fillColor": "#16a085", "fillOpacity": 0.95},
                dark={"radius": 6, "color": "#111111", "weight": 2, "fillColor": "#48c9b0", "fillOpacity": 0.95}),
    read_roles=EVERYONE, scope_field="area_code", label_field="plate",
    read_only_fields=("fix_time", "speed", "heading"), default_on=True,
))
