"""The JSON of a forward or reverse answer, points in the ``crs`` asked for."""

from __future__ import annotations

from . import coords, lookup
from .forward import Candidate, Result
from .reverse import Reverse


def place_json(place: lookup.Place | None) -> dict[str, object]:
    """``unit_grid``, ``community`` and ``street``: code (and name), or null outside every grid."""
    if place is None:
        return {"unit_grid": None, "community": None, "street": None}
    return {
        "unit_grid": {"code": place.unit_grid} if place.unit_grid else None,
        "community": {"code": place.community[0], "name": place.community[1]} if place.community else None,
        "street": {"code": place.street[0], "name": place.street[1]} if place.street else None,
    }


def candidate_json(c: Candidate, crs: str) -> dict[str, object]:
    lon, lat = coords.from_storage(c.lon, c.lat, crs)
    return {"lon": lon, "lat": lat, "level": c.level, "score": round(c.score, 3), "address": c.address,
            "name": c.name, "matched": c.matched, "detail": c.detail, **place_json(c.place)}


def forward_json(result: Result, crs: str) -> dict[str, object]:
    region = result.region
    tail = result.tail
    direction = tail.direction if tail else None
    return {
        "query": result.query,
        "normalised": result.normalised,
        "crs": crs,
        "parsed": {
            "region": {"code": region.code or None, "names": region.names} if region else None,
            "anchor": tail.anchor if tail else None,
            "direction": {"word": direction.word, "bearing": direction.bearing, "distance_m": direction.distance_m,
                          "corner": direction.corner} if direction else None,
            "note": tail.note if tail else "",
        },
        "candidates": [candidate_json(c, crs) for c in result.candidates],
        "reason": result.reason,
    }


def reverse_json(result: Reverse, crs: str) -> dict[str, object]:
    lon, lat = coords.from_storage(result.lon, result.lat, crs)
    near = result.nearest
    nearest = None
    if near is not None:
        nlon, nlat = coords.from_storage(near.lon, near.lat, crs)
        nearest = {"layer": near.layer, "code": near.code, "name": near.label, "lon": nlon, "lat": nlat,
                   "distance_m": round(near.distance_m, 1), "bearing": round(result.bearing or 0.0, 1)}
    return {"lon": lon, "lat": lat, "crs": crs, "description": result.description, "address": result.address,
            "nearest": nearest, **place_json(result.place), "reason": result.reason}
