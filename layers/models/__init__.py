"""Every feature type, one module per family; all geometries are stored in EPSG:4490 (SPEC §2)."""

from .admin import Community, District, Street
from .components import Component, ComponentClass
from .facilities import Facility
from .geocoding import POI, DoorPlate, StreetLine, Zone
from .grids import ResponsibilityGrid, UnitGrid
from .roads import CleaningSegment, Road

__all__ = [
    "CleaningSegment",
    "Community",
    "Component",
    "ComponentClass",
    "District",
    "DoorPlate",
    "Facility",
    "POI",
    "ResponsibilityGrid",
    "Road",
    "Street",
    "StreetLine",
    "UnitGrid",
    "Zone",
]
