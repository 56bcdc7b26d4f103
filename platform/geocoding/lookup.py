"""The SQL the geocoder asks: names by trigram, plates by number, streets' geometry, where a point lies.

Every statement is composed with ``psycopg.sql``: tables come from the models' ``_meta``, values are
bound. Names are found through the GIN trigram index on ``gridcity_names_key(name, aliases,
old_names)`` (migration 0001 says why names are keyed): ``key <% names_key`` is pg_trgm's word
similarity, so a name matches among an entity's aliases and old names as well. The trigram step
only proposes; :mod:`geocoding.rank` decides.

Jurisdiction: each lookup reads the rows ``layers.access.visible`` lets the user read (its condition,
compiled by the ORM, in a FROM subquery), so the rule stays the one ``layers.access`` defines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model
from psycopg import Cursor, sql

from layers.access import WHOLE_PLATFORM, Actor, check_read, jurisdiction_of, visible
from layers.models import POI, Community, District, Street, StreetLine, UnitGrid, Zone
from layers.registry import registry

TRIGRAM_THRESHOLD = 0.3
NAME_LIMIT = 12
# kind → (layer, SQL for the point that stands for the entity)
KINDS: dict[str, tuple[str, str]] = {
    "street": ("street_lines", "ST_LineInterpolatePoint(t.geom, 0.5)"),
    "zone": ("place_zones", "ST_PointOnSurface(t.geom)"),
    "poi": ("pois", "t.geom"),
}


def name_key(text: str) -> str:
    """The key ``gridcity_names_key`` makes in SQL for one name: its UTF-8 bytes in hex (migration 0001).

    >>> name_key("丽华苑")
    'e4b8bde58d8ee88b91'
    """
    return text.encode("utf-8").hex()


def _table(model: type[Model]) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


def source(layer_name: str, actor: Actor) -> tuple[sql.Composable, list[object]]:
    """The layer's rows ``layers.access.visible`` lets ``actor`` read, as a FROM item: the table itself
    for a user of the whole platform, else ``(SELECT * FROM table WHERE <visible()'s condition>)``,
    which PostgreSQL flattens into the query (its indexes still serve the lookup). Refuses (403) a role
    that may not read the layer, as ``visible`` does.

    A condition whose values are all plain text or numbers (a code prefix) depends on the jurisdiction
    code alone and is compiled once per process; one that carries the jurisdiction's shape is compiled
    on every call, so an edited boundary applies at once."""
    layer = registry.get(layer_name)
    check_read(layer, actor)
    table = _table(layer.model)
    code = jurisdiction_of(actor)
    if code == WHOLE_PLATFORM:
        return table, []
    key = (layer_name, code)
    if key not in _CONDITIONS:
        rows = visible(layer, actor)
        try:
            where, params = rows.query.get_compiler(connection=connection).compile(rows.query.where)
        except EmptyResultSet:  # visible() found no area for the jurisdiction: nothing is visible
            where, params = "false", []
        if not all(isinstance(p, str | int | float) for p in params):
            return _subquery(table, where, list(params))
        _CONDITIONS[key] = (where, list(params))
    where, params = _CONDITIONS[key]
    return _subquery(table, where, params)


_CONDITIONS: dict[tuple[str, str], tuple[str, list[object]]] = {}


def _subquery(table: sql.Composable, where: str, params: list[object]) -> tuple[sql.Composable, list[object]]:
    # The ORM's own condition for the visible rows, its values bound.
    return sql.SQL("(SELECT * FROM {} WHERE {})").format(table, sql.SQL(where)), params


def cursor() -> Cursor:
    """A cursor on Django's connection that binds values on the server (Django's own binds them in
    the client), so the geocoder's few statements can be prepared (``prepare=True``): the server
    plans each once per connection instead of on every query (planning is most of their time)."""
    connection.ensure_connection()
    return Cursor(connection.connection)


@dataclass(frozen=True)
class NameHit:
    kind: str  # street, zone, poi
    id: int
    code: str
    name: str
    aliases: list[str]
    old_names: list[str]
    category: str
    lon: float
    lat: float
    similarity: float


def names(cur: Cursor, text: str, actor: Actor, kinds: tuple[str, ...] = ("street", "zone", "poi"),
          near: tuple[str, int, float] | None = None, limit: int = NAME_LIMIT) -> list[NameHit]:
    """Entities of ``kinds`` one of whose names is trigram-similar to ``text`` (best first per kind);
    ``near`` = (kind, id, metres) keeps those within that distance of that entity's geometry."""
    key = name_key(text)
    parts, params = [], []
    for kind in kinds:
        layer_name, point = KINDS[kind]
        layer = registry.get(layer_name)
        rows, scope_params = source(layer_name, actor)
        category = sql.SQL("t.category") if layer.model is POI else sql.SQL("''")
        close: sql.Composable = sql.SQL("true")
        near_params: list[object] = []
        if near is not None:
            other = registry.get(KINDS[near[0]][0]).model
            close = sql.SQL("ST_DWithin(t.geom::geography, (SELECT geom FROM {} WHERE id = %s)::geography, %s)").format(
                _table(other))
            near_params = [near[1], near[2]]
        parts.append(sql.SQL(
            "(SELECT {kind}, t.id, t.code, t.name, t.aliases::text, t.old_names::text, {category}, ST_X(p.pt),"
            " ST_Y(p.pt),"
            " word_similarity(%s, gridcity_names_key(t.name, t.aliases, t.old_names)) AS sim"
            " FROM {rows} t CROSS JOIN LATERAL (SELECT {point} AS pt) p"
            " WHERE gridcity_names_key(t.name, t.aliases, t.old_names) %%> %s AND {close}"
            " AND cfg.threshold IS NOT NULL"
            " ORDER BY sim DESC LIMIT %s)").format(
                kind=sql.Literal(kind), category=category, rows=rows, point=sql.SQL(point), close=close))
        params += [key, *scope_params, key, *near_params, limit]
    # pg_trgm's threshold for %> (its default 0.6 is too strict for a name with a slip in it), set for this
    # statement only: the lookups run after it, as they depend on it (LATERAL). Not prepared: a generic
    # plan cannot know the text looked up and scans every name.
    cur.execute(sql.SQL("SELECT h.* FROM (SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)"
                        " AS threshold) cfg CROSS JOIN LATERAL ({}) h").format(sql.SQL(" UNION ALL ").join(parts)),
                [str(TRIGRAM_THRESHOLD), *params])
    return [NameHit(kind, id_, code, name, json.loads(aliases), json.loads(old), category, x, y, sim)
            for kind, id_, code, name, aliases, old, category, x, y, sim in cur.fetchall()]


@dataclass(frozen=True)
class Plate:
    code: str
    street_name: str
    number: str  # as written on the plate: 18号
    value: int  # the house number
    lon: float
    lat: float


@dataclass(frozen=True)
class PlateNeighbours:
    exact: list[Plate]
    below: Plate | None  # the nearest plate of the same parity below the number
    above: Plate | None
    count: int  # plates on the street at all


def plates(cur: Cursor, street_names: list[str], number: int, actor: Actor) -> PlateNeighbours:
    """The plates numbered ``number`` on a street (any of its names), and the nearest of the same side
    (parity) below and above it — through the (street_name, house number) index."""
    rows, scope_params = source("door_plates", actor)
    base = sql.SQL("SELECT code, street_name, number, gridcity_house_number(number) AS n, ST_X(geom), ST_Y(geom)"
                   " FROM {rows} t WHERE street_name = ANY(%s)").format(rows=rows)
    statement = sql.SQL(
        "SELECT 'exact', p.* FROM ({base} AND gridcity_house_number(number) = %s) p"
        " UNION ALL (SELECT 'below', p.* FROM ({base} AND gridcity_house_number(number) < %s"
        "  AND gridcity_house_number(number) %% 2 = %s) p ORDER BY n DESC LIMIT 1)"
        " UNION ALL (SELECT 'above', p.* FROM ({base} AND gridcity_house_number(number) > %s"
        "  AND gridcity_house_number(number) %% 2 = %s) p ORDER BY n LIMIT 1)"
        " UNION ALL (SELECT 'count', '', '', '', count(*)::int, 0, 0 FROM ({base}) p)").format(base=base)
    parity = number % 2
    params: list[object] = [*scope_params, street_names, number, *scope_params, street_names, number, parity,
                            *scope_params, street_names, number, parity, *scope_params, street_names]
    cur.execute(statement, params, prepare=True)
    exact, below, above, count = [], None, None, 0
    for kind, *row in cur.fetchall():
        if kind == "count":
            count = int(row[3])
        elif kind == "exact":
            exact.append(Plate(*row))
        elif kind == "below":
            below = Plate(*row)
        else:
            above = Plate(*row)
    return PlateNeighbours(exact, below, above, count)


def street_point(cur: Cursor, street_id: int, fraction: float) -> tuple[float, float, float]:
    """(lon, lat, geodesic azimuth of the line in degrees) at ``fraction`` of a street line's length."""
    cur.execute(sql.SQL(
        "SELECT ST_X(p), ST_Y(p), degrees(ST_Azimuth(ST_LineInterpolatePoint(geom, greatest(%s - 0.001, 0))::geography,"
        " ST_LineInterpolatePoint(geom, least(%s + 0.001, 1))::geography))"
        " FROM {table}, LATERAL ST_LineInterpolatePoint(geom, %s) AS p WHERE id = %s").format(
            table=_table(StreetLine)), [fraction, fraction, fraction, street_id], prepare=True)
    row = cur.fetchone()
    assert row is not None
    return float(row[0]), float(row[1]), float(row[2])


@dataclass(frozen=True)
class StreetRanges:
    id: int
    left: tuple[int, int] | None
    right: tuple[int, int] | None


def street_ranges(cur: Cursor, street_id: int) -> StreetRanges:
    cur.execute(sql.SQL("SELECT left_from, left_to, right_from, right_to FROM {} WHERE id = %s").format(
        _table(StreetLine)), [street_id], prepare=True)
    row = cur.fetchone()
    assert row is not None
    lf, lt, rf, rt = row
    return StreetRanges(street_id, (lf, lt) if lf is not None else None, (rf, rt) if rf is not None else None)


def crossings(cur: Cursor, first: list[int], second: list[int],
              tolerance_m: float) -> list[tuple[int, int, float, float]]:
    """(street a, street b, lon, lat) where a street of ``first`` meets one of ``second`` (within the
    tolerance: surveyed centre lines of a T-junction often stop short of each other)."""
    cur.execute(sql.SQL(
        "SELECT a.id, b.id, ST_X(p), ST_Y(p) FROM {table} a JOIN {table} b"
        " ON a.id = ANY(%s) AND b.id = ANY(%s) AND a.id <> b.id"
        " AND ST_DWithin(a.geom::geography, b.geom::geography, %s)"
        " CROSS JOIN LATERAL (SELECT CASE WHEN ST_Intersects(a.geom, b.geom)"
        "   THEN ST_GeometryN(ST_Intersection(a.geom, b.geom), 1)"
        "   ELSE ST_ClosestPoint(a.geom, b.geom) END AS p) c"
        " ORDER BY ST_Distance(a.geom::geography, b.geom::geography), a.id, b.id").format(
            table=_table(StreetLine)), [first, second, tolerance_m], prepare=True)
    return [(int(a), int(b), float(x), float(y)) for a, b, x, y in cur.fetchall()]


def zone_outline(cur: Cursor, zone_id: int) -> list[tuple[float, float]]:
    """The vertices of a zone's outer rings (for 西南角: the corner in a direction)."""
    cur.execute(sql.SQL("SELECT ST_X(d.geom), ST_Y(d.geom) FROM {} z, LATERAL ST_Dump(z.geom) p,"
                        " LATERAL ST_DumpPoints(ST_ExteriorRing(p.geom)) d WHERE z.id = %s").format(_table(Zone)),
                [zone_id], prepare=True)
    return [(float(x), float(y)) for x, y in cur.fetchall()]


@dataclass(frozen=True)
class Place:
    """Where a point lies: its unit grid, community and street (codes and names); None outside every grid."""

    unit_grid: str | None
    community: tuple[str, str] | None
    street: tuple[str, str] | None
    district: tuple[str, str] | None = None


def locate(cur: Cursor, points: list[tuple[float, float]]) -> list[Place]:
    """The unit grid, community and street of each point, in one statement."""
    if not points:
        return []
    cur.execute(sql.SQL(
        "SELECT g.code, c.code, c.name, s.code, s.name, d.code, d.name"
        " FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)"
        " LEFT JOIN LATERAL (SELECT code, community_id FROM {grid} WHERE ST_Intersects(geom,"
        "  ST_SetSRID(ST_MakePoint(p.x, p.y), 4490)) ORDER BY code LIMIT 1) g ON true"
        " LEFT JOIN {community} c ON c.code = g.community_id LEFT JOIN {street} s ON s.code = c.street_id"
        " LEFT JOIN {district} d ON d.code = s.district_id"
        " ORDER BY p.i").format(grid=_table(UnitGrid), community=_table(Community), street=_table(Street),
                                district=_table(District)),
        [[p[0] for p in points], [p[1] for p in points]], prepare=True)
    return [Place(g, (cc, cn) if cc else None, (sc, sn) if sc else None, (dc, dn) if dc else None)
            for g, cc, cn, sc, sn, dc, dn in cur.fetchall()]


def admin_units(cur: Cursor) -> list[tuple[str, str]]:
    """(code, name) of every district, street and community."""
    cur.execute(sql.SQL("SELECT code, name FROM {} UNION ALL SELECT code, name FROM {}"
                        " UNION ALL SELECT code, name FROM {}").format(
        _table(District), _table(Street), _table(Community)), prepare=True)
    return [(str(c), str(n)) for c, n in cur.fetchall()]


def unit_point(cur: Cursor, code: str) -> tuple[float, float] | None:
    """A point on the surface of the district, street or community ``code``."""
    model = {6: District, 9: Street, 12: Community}.get(len(code))
    if model is None:
        return None
    cur.execute(sql.SQL("SELECT ST_X(p), ST_Y(p) FROM {}, LATERAL ST_PointOnSurface(geom) p WHERE code = %s").format(
        _table(model)), [code], prepare=True)
    row = cur.fetchone()
    return (float(row[0]), float(row[1])) if row else None


@dataclass(frozen=True)
class Nearest:
    layer: str
    code: str
    label: str  # 永安路21号 or the POI's name
    lon: float
    lat: float
    distance_m: float


def nearest(cur: Cursor, lon: float, lat: float, actor: Actor) -> list[Nearest]:
    """The nearest door plate and the nearest POI the user may see, by geodesic distance (the index's
    planar order proposes the eight nearest of each, the ellipsoid decides)."""
    parts, params = [], []
    for layer_name, label in (("door_plates", "t.street_name || t.number || t.building"), ("pois", "t.name")):
        rows, scope_params = source(layer_name, actor)
        parts.append(sql.SQL(
            "(SELECT {layer}, code, label, x, y, ST_Distance(g::geography, pt::geography) AS d FROM"
            " (SELECT t.code, {label} AS label, ST_X(t.geom) AS x, ST_Y(t.geom) AS y, t.geom AS g,"
            "  ST_SetSRID(ST_MakePoint(%s, %s), 4490) AS pt FROM {rows} t"
            "  ORDER BY t.geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4490) LIMIT 8) k ORDER BY d LIMIT 1)").format(
                layer=sql.Literal(layer_name), label=sql.SQL(label), rows=rows))
        params += [lon, lat, *scope_params, lon, lat]
    cur.execute(sql.SQL(" UNION ALL ").join(parts), params, prepare=True)
    return sorted((Nearest(*row) for row in cur.fetchall()), key=lambda n: n.distance_m)
