"""Loading the demo city into PostGIS: set-based, in one audited transaction.

Everything runs inside ``acting_as("demo-loader")``: the audit triggers attribute every row to
the loader (inserts audited in bulk mode: one entry per statement listing the new keys, as the
census importer does), and a failure anywhere rolls the whole city back. Rows go in with COPY (psycopg 3);
tables with columns computed in SQL (areas and lengths on the geography, the cleaned area of a
segment) or resolved by a join (a segment's road, a grid's assignee) are staged in a temporary
table first and written with one ``INSERT … SELECT``, so each row is inserted — and audited — once.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Model
from psycopg import Cursor, sql

from accounts.demo import DEMO_USERNAMES, create_demo_accounts
from accounts.models import User
from fleet.demo import load_demo_fleet
from layers import maintenance
from layers.codes import MAJOR_CLASSES
from layers.editing import acting_as, bulk_audit
from layers.models import (
    POI,
    CleaningSegment,
    Community,
    Component,
    ComponentClass,
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
from layers.registry import registry

from .bulk import columns, copy_rows, ewkb, staging
from .errors import DemoAlreadyLoaded
from .evaluation import build_evaluation
from .generate import DEFAULT_SEED, STORAGE_SRID, AdminUnits, City, generate_city
from .names import DISTRICT_CODE

LOADER = "demo-loader"
STAMPS = ("created_at", "updated_at")


def demo_loaded() -> bool:
    """Whether the demo district (320982) is in the database."""
    return District.objects.filter(code=DISTRICT_CODE).exists()


def _refuse_if_loaded() -> None:
    if demo_loaded():
        raise DemoAlreadyLoaded(
            f"the demo district {DISTRICT_CODE} is already loaded; use `gridcity demo --if-empty` to skip, "
            "or load into an empty database", field="district",
        )


def load_demo(seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, int]:
    """Generate the demo city, load it with the demo accounts and build its evaluation layers (see
    :mod:`democity.evaluation`), all in one transaction; the rows written, per kind."""
    _refuse_if_loaded()  # early, before spending the generation
    city = generate_city(seed, scale)
    with transaction.atomic():
        return {**load_city(city), **build_evaluation(LOADER, seed)}


def load_city(city: City) -> dict[str, int]:
    """Write a generated city in one transaction attributed to ``demo-loader``; refuses a second one."""
    # The raw psycopg cursor (for COPY) raises psycopg's errors: wrap them into Django's, as its cursor does.
    with acting_as(LOADER), connection.cursor() as wrapper, connection.wrap_database_errors:
        cur: Cursor = wrapper.cursor
        with bulk_audit(cur):
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('gridcity.democity'))")  # one loader at a time
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a broken reference fails at its COPY, not at COMMIT
            _refuse_if_loaded()
            create_demo_accounts(DISTRICT_CODE)
            cur.execute("SELECT now()")
            now = cur.fetchone()[0]  # type: ignore[index]
            classes = _extension_classes(city)
            counts = {
                "districts": _admin(cur, District, None, city.district, now),
                "streets": _admin(cur, Street, "district", city.streets, now),
                "communities": _admin(cur, Community, "street", city.communities, now),
                "unit grids": _unit_grids(cur, city),
                "roads": _roads(cur, city),
                "cleaning segments": _segments(cur, city),
                "components": _components(cur, city, now),
                "facilities": _facilities(cur, city, now),
                "responsibility grids": _responsibility(cur, city),
                "street lines": _street_lines(cur, city, now),
                "door plates": _door_plates(cur, city),
                "place zones": _zones(cur, city, now),
                "points of interest": _pois(cur, city),
                "vehicles": load_demo_fleet(DISTRICT_CODE, list(city.streets.codes)),
                "component classes": classes,
                "accounts": len(DEMO_USERNAMES),
            }
        # Fresh statistics commit with the load: the planner must not take the loaded layers for
        # the empty tables autovacuum last saw (imports and tiles right after a demo load). As the
        # layers' owner (layers.maintenance): the loader's role owns none.
        for table in sorted({layer.table for layer in registry.all()}):
            maintenance.analyze(cur, table)
    return counts


def _extension_classes(city: City) -> int:
    """The local classes (minor 80–99) the demo uses; classes of the same code already present are kept."""
    ComponentClass.objects.bulk_create(
        [ComponentClass(code=code, major_code=code[:2], minor_code=code[2:], major_name=MAJOR_CLASSES[code[:2]],
                        name=name) for code, name in city.extension_classes.items()],
        ignore_conflicts=True,
    )
    return len(city.extension_classes)


def _admin(cur: Cursor, model: type[District | Street | Community], parent: str | None, units: AdminUnits,
           now: datetime) -> int:
    fields = ["code", "name", "geom", *STAMPS] + ([parent] if parent else [])
    rows = (
        [code, name, geom, now, now] + ([up] if parent else [])
        for code, name, geom, up in zip(units.codes, units.names, ewkb(units.geoms, STORAGE_SRID), units.parents,
                                        strict=True)
    )
    copy_rows(cur, model._meta.db_table, columns(model, *fields), rows)
    return len(units.codes)


def _insert_select(cur: Cursor, model: type[Model], fields: list[str], select: str, *params: object,
                   **tables: type[Model]) -> int:
    """``INSERT INTO <model's table> (<fields' columns>) <select>``: ``select`` is SQL written in this
    module, with ``{name}`` placeholders for the tables of the models passed as keywords."""
    statement = sql.SQL("INSERT INTO {} ({}) {}").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns(model, *fields))),
        sql.SQL(select).format(**{k: sql.Identifier(m._meta.db_table) for k, m in tables.items()}),
    )
    cur.execute(statement, params)
    return cur.rowcount


def _unit_grids(cur: Cursor, city: City) -> int:
    grids = city.grids
    rows = zip(grids.codes, grids.communities, ewkb(grids.geoms, STORAGE_SRID), strict=True)
    with staging(cur, "demo_stage_grid", {"code": "text", "community": "text", "geom": "geometry"}, rows):
        return _insert_select(
            cur, UnitGrid, ["code", "community", "area_m2", "initial_date", "geom", *STAMPS],
            "SELECT code, community, ST_Area(geom::geography), %s::date, geom, now(), now() FROM demo_stage_grid",
            grids.initial_date,
        )


def _roads(cur: Cursor, city: City) -> int:
    roads = city.roads
    rows = zip(roads.names, roads.grades.tolist(), ewkb(roads.lines, STORAGE_SRID), strict=True)
    with staging(cur, "demo_stage_road", {"name": "text", "grade": "smallint", "geom": "geometry"}, rows):
        return _insert_select(
            cur, Road, ["name", "grade", "district", "length_m", "geom", *STAMPS],
            "SELECT name, grade, %s, ST_Length(geom::geography), geom, now(), now() FROM demo_stage_road",
            DISTRICT_CODE,
        )


def _segments(cur: Cursor, city: City) -> int:
    roads = city.roads
    rows = zip(roads.segment_names, [roads.names[r] for r in roads.segment_road], roads.segment_grades.tolist(),
               roads.segment_widths.tolist(), roads.segment_teams, ewkb(roads.segment_lines, STORAGE_SRID),
               strict=True)
    definition = {"name": "text", "road": "text", "grade": "smallint", "width": "float8", "team": "text",
                  "geom": "geometry"}
    with staging(cur, "demo_stage_segment", definition, rows):
        return _insert_select(
            cur, CleaningSegment,
            ["name", "road", "district", "grade", "width_m", "length_m", "area_m2", "team", "geom", *STAMPS],
            "SELECT s.name, r.id, r.district_id, s.grade, s.width, ST_Length(s.geom::geography),"
            " ST_Length(s.geom::geography) * s.width, s.team, s.geom, now(), now()"
            " FROM demo_stage_segment s JOIN {road} r ON r.name = s.road AND r.district_id = %s",
            DISTRICT_CODE, road=Road,
        )


def _components(cur: Cursor, city: City, now: datetime) -> int:
    c = city.components
    n = len(c.codes)
    fields = ["code", "component_class", "name", "dept_admin", "dept_owner", "dept_maintain", "unit_grid", "status",
              "initial_date", "change_date", "data_source", "location_desc", "currency_date", "scale_denominator",
              "note", "photos", "geom", *STAMPS]
    rows = zip(
        c.codes.tolist(), c.classes.tolist(), c.names.tolist(), c.dept_admin.tolist(), c.dept_owner.tolist(),
        c.dept_maintain.tolist(), c.grids.tolist(), c.status.tolist(), c.initial_date.tolist(),
        c.change_date.tolist(), [c.data_source] * n, c.location.tolist(), [c.currency_date] * n,
        [c.scale_denominator] * n, c.notes.tolist(), ["[]"] * n, ewkb(c.geoms, STORAGE_SRID), [now] * n, [now] * n,
        strict=True,
    )
    copy_rows(cur, Component._meta.db_table, columns(Component, *fields), rows)
    return n


def _facilities(cur: Cursor, city: City, now: datetime) -> int:
    f = city.facilities
    fields = ["kind", "code", "name", "address", "operator", "unit_grid", "attrs", "geom", *STAMPS]
    attrs = [json.dumps(a, ensure_ascii=False) for a in f.attrs]
    rows = (
        [*row, now, now] for row in zip(f.kinds, f.codes, f.names, f.addresses, f.operators, f.grids, attrs,
                                        ewkb(f.geoms, STORAGE_SRID), strict=True)
    )
    copy_rows(cur, Facility._meta.db_table, columns(Facility, *fields), rows)
    return len(f.codes)


def _responsibility(cur: Cursor, city: City) -> int:
    r = city.responsibility
    rows = zip(r.codes, r.names, r.kinds, r.assignees, r.teams, ewkb(r.geoms, STORAGE_SRID), strict=True)
    definition = {"code": "text", "name": "text", "kind": "text", "assignee": "text", "team": "text",
                  "geom": "geometry"}
    with staging(cur, "demo_stage_responsibility", definition, rows):
        return _insert_select(
            cur, ResponsibilityGrid, ["code", "name", "kind", "assignee", "team", "geom", *STAMPS],
            "SELECT s.code, s.name, s.kind, u.id, s.team, s.geom, now(), now() FROM demo_stage_responsibility s"
            " LEFT JOIN {user} u ON u.username = s.assignee", user=User,
        )


def _names(lists: list[list[str]]) -> list[str]:
    return [json.dumps(names, ensure_ascii=False) for names in lists]


def _street_lines(cur: Cursor, city: City, now: datetime) -> int:
    s = city.addresses.streets
    fields = ["code", "name", "aliases", "old_names", "left_from", "left_to", "right_from", "right_to", "geom",
              *STAMPS]
    rows = ([code, name, aliases, old, *numbers, geom, now, now] for code, name, aliases, old, numbers, geom in zip(
        s.codes, s.names, _names(s.aliases), _names(s.old_names), s.ranges.tolist(), ewkb(s.lines, STORAGE_SRID),
        strict=True))
    copy_rows(cur, StreetLine._meta.db_table, columns(StreetLine, *fields), rows)
    return len(s.codes)


def _zones(cur: Cursor, city: City, now: datetime) -> int:
    z = city.addresses.zones
    fields = ["code", "name", "aliases", "old_names", "geom", *STAMPS]
    rows = ([*row, now, now] for row in zip(z.codes, z.names, _names(z.aliases), _names(z.old_names),
                                            ewkb(z.geoms, STORAGE_SRID), strict=True))
    copy_rows(cur, Zone._meta.db_table, columns(Zone, *fields), rows)
    return len(z.codes)


def _door_plates(cur: Cursor, city: City) -> int:
    """Door plates, each in the unit grid its point lies in (found in SQL, as the importer does)."""
    p = city.addresses.plates
    empty = "[]"
    rows = zip(p.codes, p.street_names, p.labels, ewkb(p.points, STORAGE_SRID), strict=True)
    definition = {"code": "text", "street_name": "text", "number": "text", "geom": "geometry"}
    with staging(cur, "demo_stage_plate", definition, rows):
        return _insert_select(
            cur, DoorPlate, ["code", "street_name", "number", "building", "aliases", "old_names", "unit_grid", "geom",
                             *STAMPS],
            "SELECT DISTINCT ON (s.code) s.code, s.street_name, s.number, '', %s::jsonb, %s::jsonb, g.code, s.geom,"
            " now(), now() FROM demo_stage_plate s JOIN {grid} g ON ST_Intersects(g.geom, s.geom)"
            " ORDER BY s.code, g.code", empty, empty, grid=UnitGrid,
        )


def _pois(cur: Cursor, city: City) -> int:
    """POIs in the unit grid their point lies in; the address is the nearest door plate's, when one is near."""
    p = city.addresses.pois
    rows = zip(p.codes, p.names, p.categories, _names(p.aliases), _names(p.old_names), ewkb(p.geoms, STORAGE_SRID),
               strict=True)
    definition = {"code": "text", "name": "text", "category": "text", "aliases": "jsonb", "old_names": "jsonb",
                  "geom": "geometry"}
    with staging(cur, "demo_stage_poi", definition, rows):
        return _insert_select(
            cur, POI, ["code", "name", "category", "address", "aliases", "old_names", "unit_grid", "geom", *STAMPS],
            "SELECT DISTINCT ON (s.code) s.code, s.name, s.category, coalesce(a.address, ''), s.aliases, s.old_names,"
            " g.code, s.geom, now(), now()"
            " FROM demo_stage_poi s JOIN {grid} g ON ST_Intersects(g.geom, s.geom)"
            " LEFT JOIN LATERAL (SELECT d.street_name || d.number AS address FROM {plate} d"
            "  WHERE ST_DWithin(d.geom::geography, s.geom::geography, 150)"
            "  ORDER BY d.geom <-> s.geom LIMIT 1) a ON true ORDER BY s.code, g.code",
            grid=UnitGrid, plate=DoorPlate,
        )
