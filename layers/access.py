"""Who may see and change what: roles per layer and the user's jurisdiction (SPEC §6).

A user's jurisdiction (``jurisdiction_code``) is one of:

- :data:`WHOLE_PLATFORM` (``"*"``): every feature — granted explicitly, never by omission;
- a district (6), street (9) or community (12 digit) code: the features inside that unit;
- empty (or anything else): nothing. Deny by default: an account nobody gave a jurisdiction
  reads no feature and writes none.

**The rule** (one rule, asked by every path — the layer API's list, single read, create, PATCH
and DELETE, tiles, tile extents, offline packages, exports and the gridding endpoints):

- a feature of a layer with a ``scope_field`` (a hierarchical code: its unit grid's, its
  community's, its own …) belongs where its code says: it is inside a jurisdiction when that
  code starts with the jurisdiction's code;
- a feature without one belongs where its *point on surface* lies (``ST_PointOnSurface``, a
  point guaranteed to lie on the feature): it is inside a jurisdiction when the jurisdiction's
  polygon covers that point (boundary included).

So a road or grid that crosses a boundary belongs to exactly one side — the one holding its
point on surface — never to every unit it touches, and a feature of the neighbouring street
that merely touches an area is not inside it. The point is computed in SQL from the stored
geometry, so the rule needs no stored extra column and keeps working for every geometry type
(a point is its own point on surface; a line's is a vertex or midpoint on it).

Writes: a feature may be changed or deleted only when it is inside now, and a create or PATCH
is kept only when the stored result is inside too (checked after the save, in the same
transaction, with the same predicate).

The rule exists once, as SQL composed with ``psycopg.sql`` (:func:`scope_condition`): the tile
and raw-SQL paths use it as it is, and the ORM paths (:func:`scope_filter`, :func:`visible`)
wrap that very text in a ``RawSQL`` filter, so the two cannot diverge. The spatial form is
``geom && area AND ST_Covers(area, ST_PointOnSurface(geom))`` with the area an uncorrelated
subquery on the unit table, so the GiST index on ``geom`` still answers the ``&&``.

Why a sentinel rather than a flag on the user: a jurisdiction stays one value, so the tile
cache (keyed by it), the token fast path that reads it in SQL and every caller keep one field;
and the sentinel is not a digit string, so any code path that still treats the value as a code
prefix (``LIKE code || '%'``, ``startswith``) matches nothing for it: forgetting it fails closed.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from psycopg import sql

from .errors import NoJurisdiction, NotAllowed, NotEditable, OutsideJurisdiction
from .models import Community, District, Street
from .registry import Layer

WHOLE_PLATFORM = "*"
"""The jurisdiction of platform-wide accounts (system administrator, auditor, the CLI)."""

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


def is_unit_code(code: str) -> bool:
    """Whether ``code`` is a district, street or community code (6, 9 or 12 ASCII digits)."""
    return len(code) in _UNITS and code.isascii() and code.isdigit()


def jurisdiction_of(actor: Actor) -> str:
    """The actor's jurisdiction as the rule reads it: :data:`WHOLE_PLATFORM`, a unit code, or ``""``
    (nothing) for an empty or malformed value."""
    code = getattr(actor, "jurisdiction_code", "") or ""
    return code if code == WHOLE_PLATFORM or is_unit_code(code) else ""


def code_prefix(actor: Actor) -> str:
    """The code prefix the actor's jurisdiction allows, for paths that scope by code alone:
    ``""`` for the whole platform (every code starts with it), else the unit code. An account
    without a jurisdiction is refused (403) rather than given a prefix."""
    code = jurisdiction_of(actor)
    if not code:
        raise NoJurisdiction("your account has no jurisdiction; ask the administrator to assign one",
                             field="jurisdiction")
    return "" if code == WHOLE_PLATFORM else code


def jurisdiction_geom(code: str) -> GEOSGeometry | None:
    """The polygon of the district/street/community ``code`` (None if it does not exist)."""
    model = _UNITS.get(len(code)) if is_unit_code(code) else None
    unit = model.objects.filter(code=code).only("geom").first() if model else None
    return unit.geom if unit is not None else None


def scope_condition(layer: Layer, jurisdiction: str, alias: str | None = None) -> tuple[sql.Composable, list[object]]:
    """The rule as SQL: a condition true for the rows of ``layer`` inside ``jurisdiction``, with its
    bound values. Columns are qualified by ``alias`` (default: the layer's table name). For roads
    and street ``320982001``: ``"layers_road"."geom" && (SELECT "geom" FROM "layers_street" WHERE
    "code" = %s) AND ST_Covers((…), ST_PointOnSurface("layers_road"."geom"))`` with the code bound twice.
    """
    if jurisdiction == WHOLE_PLATFORM:
        return sql.SQL("true"), []
    if not is_unit_code(jurisdiction):
        return sql.SQL("false"), []
    table = sql.Identifier(alias or layer.table)
    if layer.scope_field:
        column = sql.SQL("{}.{}").format(table, sql.Identifier(layer.column(layer.scope_field)))
        return sql.SQL("{} LIKE %s").format(column), [jurisdiction + "%"]
    unit = _UNITS[len(jurisdiction)]._meta
    area = sql.SQL("(SELECT {geom} FROM {units} WHERE {code} = %s)").format(
        geom=sql.Identifier(unit.get_field("geom").column), units=sql.Identifier(unit.db_table),
        code=sql.Identifier(unit.get_field("code").column))
    geom = sql.SQL("{}.{}").format(table, sql.Identifier(layer.column(layer.geometry_field)))
    return (sql.SQL("{geom} && {area} AND ST_Covers({area}, ST_PointOnSurface({geom}))").format(geom=geom, area=area),
            [jurisdiction, jurisdiction])


def scope_filter(layer: Layer, jurisdiction: str) -> RawSQL:
    """:func:`scope_condition` as an ORM filter expression (the same SQL text, the same values)."""
    condition, params = scope_condition(layer, jurisdiction)
    return RawSQL(condition.as_string(None), params, output_field=BooleanField())


def check_read(layer: Layer, actor: Actor) -> None:
    if not layer.may_read(actor.role):
        raise NotAllowed(f"role {actor.role!r} may not read layer {layer.name!r}", field="layer")


def check_edit(layer: Layer, actor: Actor) -> None:
    """The role may edit the layer, and the account has a jurisdiction to edit in."""
    if not layer.editable:
        raise NotEditable(f"layer {layer.name!r} is read-only", field="layer")
    if not layer.may_edit(actor.role):
        raise NotAllowed(
            f"role {actor.role!r} may not edit layer {layer.name!r}; editors: {', '.join(sorted(layer.edit_roles))}",
            field="layer",
        )
    code_prefix(actor)


def visible(layer: Layer, actor: Actor) -> QuerySet:
    """The layer's rows this actor may read: their role may read the layer, and the rows are inside
    their jurisdiction by the rule."""
    check_read(layer, actor)
    return layer.model.objects.filter(scope_filter(layer, jurisdiction_of(actor)))


def check_write_scope(layer: Layer, actor: Actor, obj: Model) -> None:
    """Refuse a feature that, as stored (call after the save, inside its transaction), lies outside
    the actor's jurisdiction by the rule. The message names only the actor's own jurisdiction."""
    jurisdiction = jurisdiction_of(actor)
    if jurisdiction == WHOLE_PLATFORM or visible(layer, actor).filter(pk=obj.pk).exists():
        return
    field = "code" if layer.scope_field == "code" else "geometry"
    where = "its code" if layer.scope_field == "code" else (
        "its position" if layer.scope_field else "its point on surface")
    raise OutsideJurisdiction(
        f"by {where} this feature would lie outside your jurisdiction {jurisdiction or '(none)'}", field=field)
