"""Registering, changing and removing vehicles and people: checks, jurisdiction, audit.

Every write runs in ``acting_as`` (the audit log names the user) after ``full_clean``; a plate or
terminal another vehicle has is refused by name; the area a vehicle serves must lie in the
user's jurisdiction (``layers.access.check_write_scope`` on the layer's ``area_code``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from psycopg import sql
from rest_framework import serializers

from layers.access import Actor, check_write_scope
from layers.editing import acting_as
from layers.errors import InUse, InvalidFeature, NotAllowed

from .errors import AlreadyRegistered
from .layers import EDITORS, VEHICLES
from .models import FIX_TABLE, KINDS, Vehicle

WRITABLE = ("category", "kind", "name", "plate", "plate_colour", "group", "company", "has_gps", "has_weighing",
            "has_video", "terminal", "area_code", "available", "person", "responsibility_grid")
HAS_FIXES = sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE vehicle_id = %s)").format(
    sql.Identifier(FIX_TABLE)).as_string(None)


class VehicleInput(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = WRITABLE
        # Uniqueness is checked by name in ``_unique`` (a 409 saying which vehicle holds it).
        extra_kwargs: dict[str, dict[str, list]] = {"plate": {"validators": []}, "terminal": {"validators": []}}


def online(fix_time: datetime | None, now: datetime) -> bool:
    """Whether a newest fix at ``fix_time`` is within the signal timeout 信号接收超时 of ``now``."""
    return fix_time is not None and (now - fix_time).total_seconds() <= settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS


def as_json(v: Vehicle, now: datetime) -> dict[str, object]:
    live = getattr(v, "live", None)
    position = None if live is None else {"lon": live.geom.x, "lat": live.geom.y, "time": live.time.isoformat(),
                                          "speed": live.speed, "heading": live.heading}
    return {
        "id": v.pk, "category": v.category, "kind": v.kind, "kind_name": KINDS.get(v.kind, v.kind), "name": v.name,
        "plate": v.plate, "plate_colour": v.plate_colour, "group": v.group, "company": v.company,
        "has_gps": v.has_gps, "has_weighing": v.has_weighing, "has_video": v.has_video, "terminal": v.terminal,
        "area_code": v.area_code, "available": v.available, "person": v.person_id,
        "responsibility_grid": v.responsibility_grid_id, "position": position,
        "online": online(live.time if live else None, now),
    }


def _check_editor(actor: Actor) -> None:
    if actor.role not in EDITORS:
        raise NotAllowed(f"role {actor.role!r} may not register vehicles; editors: {', '.join(sorted(EDITORS))}",
                         field="role")


def _unique(obj: Vehicle) -> None:
    for name in ("plate", "terminal"):
        value = getattr(obj, name)
        if not value:
            continue
        other = Vehicle.objects.filter(**{name: value}).exclude(pk=obj.pk).first()
        if other is not None:
            raise AlreadyRegistered(f"{name} {value!r} is already registered to {other} (id {other.pk})",
                                    field=name)


def _validated(obj: Vehicle | None, body: object, partial: bool) -> dict:
    if not isinstance(body, dict):
        raise InvalidFeature([{"field": None, "rule": "object", "message": "the body must be a JSON object"}])
    unknown = sorted(set(body) - set(WRITABLE) - {"id"})
    if unknown:
        raise InvalidFeature([{"field": k, "rule": "known_field",
                               "message": f"vehicles have no writable field {k!r}; writable: {', '.join(WRITABLE)}"}
                              for k in unknown])
    serializer = VehicleInput(instance=obj, data=body, partial=partial)
    if not serializer.is_valid():
        raise InvalidFeature([{"field": f, "rule": str(getattr(e, "code", "invalid")), "message": str(e)}
                              for f, items in serializer.errors.items() for e in items])
    return dict(serializer.validated_data)


def _save(actor: Actor, obj: Vehicle) -> Vehicle:
    try:
        obj.full_clean(exclude=["plate", "terminal"])
    except ValidationError as exc:
        raise InvalidFeature([{"field": f, "rule": e.code or "invalid", "message": " ".join(e.messages)}
                              for f, items in exc.error_dict.items() for e in items]) from None
    _unique(obj)
    # The rule reads the stored row: saved first, refused (rolled back with its audit entry) when outside.
    with acting_as(actor.username):
        obj.save()
        check_write_scope(VEHICLES, actor, obj)
    return obj


def create(actor: Actor, body: object) -> Vehicle:
    _check_editor(actor)
    return _save(actor, Vehicle(**_validated(None, body, partial=False)))


def update(actor: Actor, obj: Vehicle, body: object) -> Vehicle:
    _check_editor(actor)
    for name, value in _validated(obj, body, partial=True).items():
        setattr(obj, name, value)
    return _save(actor, obj)


def delete(actor: Actor, obj: Vehicle) -> None:
    """Remove a vehicle with no stored fixes; one with a track is kept (set ``available`` false instead)."""
    _check_editor(actor)
    with connection.cursor() as cur:
        cur.execute(HAS_FIXES, [obj.pk])
        if cur.fetchone()[0]:
            raise InUse(f"{obj} has stored GPS fixes and is kept for its track; set available to false instead",
                        field="id")
    with acting_as(actor.username):
        obj.delete()
