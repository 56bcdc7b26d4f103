"""The import kinds by name (``gridcity import {kind}``, ``POST /api/imports/`` ``kind=``)."""

from __future__ import annotations

from layers.errors import BadParameter

from .admin_units import AdminUnits
from .base import Context, Counts, Kind
from .components import Components
from .facilities import Facilities
from .geocoding import DoorPlates, PlaceZones, POIs, StreetLines
from .unit_grids import UnitGrids
from .zones import Zones

KINDS: dict[str, Kind] = {kind.name: kind for kind in (Components(), UnitGrids(), Facilities(), AdminUnits(),
                                                  Zones(), DoorPlates(), POIs(), StreetLines(),
                                                  PlaceZones())}


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise BadParameter(f"unknown import kind {name!r}; one of {', '.join(KINDS)}", field="kind",
                           rule="import_kind") from None


__all__ = ["KINDS", "Context", "Counts", "Kind", "get"]
