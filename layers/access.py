"""Who may see and change what: roles per layer and the user's jurisdiction (SPEC §6).

A user's jurisdiction is a district, street or community code (empty: the whole platform).
Code-scoped layers keep rows whose scope code starts with it; the others keep rows whose
geometry intersects the jurisdiction's polygon. Writes must land inside it.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Model, QuerySet

from .errors import NotAllowed, NotEditable, OutsideJurisdiction
from .models import Community, District, Street
from .registry import Layer

_UNITS: dict[int, type[Model]] = {6: District, 9: Street, 12: Community}
# The models whose rows are jurisdictions (by code length above).
JURISDICTION_MODELS = tuple(_UNITS.values())


class Actor(Protocol):
    """What the layer API needs of a user (accounts.User has it)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def jurisdiction_code(self) -> str: ...


def jurisdiction_geom(code: str) -> GEOSGeometry | None:
    """The polygon of the district/street/community ``code`` (None if it does not exist)."""
    model = _UNITS.get(len(code))
    unit = model.objects.filter(code=code).only("geom").first() if model else None
    return unit.geom if unit is not None else None


def check_read(layer: Layer, actor: Actor) -> None:
    if not layer.may_read(actor.role):
        raise NotAllowed(f"role {actor.role!r} may not read layer {layer.name!r}", field="layer")


def check_edit(layer: Layer, actor: Actor) -> None:
    if not layer.editable:
        raise NotEditable(f"layer {layer.name!r} is read-only", field="layer")
    if not layer.may_edit(actor.role):
        raise NotAllowed(
            f"role {actor.role!r} may not edit layer {layer.name!r}; editors: {', '.join(sorted(layer.edit_roles))}",
            field="layer",
        )


def visible(layer: Layer, actor: Actor) -> QuerySet:
    """The layer's rows this actor may read."""
    check_read(layer, actor)
    rows = layer.model.objects.all()
    code = actor.jurisdiction_code
    if not code:
        return rows
    if layer.scope_field:
        return rows.filter(**{f"{layer.scope_lookup}__startswith": code})
    area = jurisdiction_geom(code)
    if area is None:
        return rows.none()
    return rows.filter(**{f"{layer.geometry_field}__intersects": area})


def check_write_scope(layer: Layer, actor: Actor, obj: Model) -> None:
    """Refuse a feature that, as it would be stored, lies outside the actor's jurisdiction."""
    code = actor.jurisdiction_code
    if not code:
        return
    if layer.scope_field:
        value = str(getattr(obj, layer.column(layer.scope_field)) or "")
        if not value.startswith(code):
            raise OutsideJurisdiction(
                f"this feature would belong to {value or 'no unit'}, outside your jurisdiction {code}",
                field="geometry" if layer.scope_field != "code" else "code",
            )
        return
    geom, area = getattr(obj, layer.geometry_field), jurisdiction_geom(code)
    inside = False
    if area is not None:
        with connection.cursor() as cur:
            # 1 m of slack so a line drawn along the boundary is not refused for float noise; a
            # geography buffer comes back in EPSG:4326, so it is labelled with the area's SRID again.
            cur.execute(
                "SELECT ST_CoveredBy(%s::geometry, ST_SetSRID(ST_Buffer(%s::geometry::geography, 1)::geometry, %s))",
                [geom.ewkt, area.ewkt, area.srid],
            )
            inside = cur.fetchone()[0]
    if not inside:
        raise OutsideJurisdiction(
            f"this geometry leaves your jurisdiction {code}", field="geometry"
        )
