"""An import into an empty layer builds the layer's indexes after its rows (``importers.indexes``):
afterwards the layer has the same indexes and keys, under the same names, and they work; a layer
that holds rows keeps its indexes as they were."""

from __future__ import annotations

import geopandas as gpd
import psycopg
import pytest
import shapely
from django.db import IntegrityError, connection, transaction
from import_files import SAMPLE, frame

from importers import load
from layers.models import Component, DoorPlate


def indexes(table: str) -> dict[str, tuple[int, str]]:
    """Index name → (oid, definition) of ``table``; a rebuilt index has another oid."""
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname, c.oid, pg_get_indexdef(c.oid) FROM pg_index i JOIN pg_class c "
                    "ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass", [table])
        return {name: (oid, definition) for name, oid, definition in cur.fetchall()}


def constraints(table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                    [table])
        return set(cur.fetchall())


def test_first_census_into_an_empty_layer_builds_the_same_indexes_after(city, tmp_path):
    Component.objects.all().delete()
    before, keys = indexes("layers_component"), constraints("layers_component")
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    result = load.run("components", path, city.users["admin"])
    assert result.counts.inserted == len(SAMPLE)
    after = indexes("layers_component")
    assert {n: d for n, (_, d) in after.items()} == {n: d for n, (_, d) in before.items()}
    assert constraints("layers_component") == keys
    rebuilt = {n for n in after if after[n][0] != before[n][0]}
    assert "layers_component_pkey" not in rebuilt
    assert {"layers_component_code_key", "layers_component_geom_e1f45150_id"} <= rebuilt
    # the rebuilt unique key still refuses a second component with a stored code
    stored = Component.objects.get(code=SAMPLE[0][0])
    stored.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        stored.save()


def test_layer_with_rows_keeps_its_indexes(city, tmp_path):
    assert Component.objects.exists()
    before = indexes("layers_component")
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    assert load.run("components", path, city.users["admin"]).counts.inserted == len(SAMPLE)
    assert indexes("layers_component") == before


def test_dry_run_into_an_empty_layer_leaves_its_indexes(city, tmp_path):
    Component.objects.all().delete()
    before = indexes("layers_component")
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    assert load.run("components", path, city.users["admin"], load.Options(dry_run=True)).counts.inserted == 3
    assert indexes("layers_component") == before and not Component.objects.exists()


def test_deferred_foreign_key_stays_deferred(city, tmp_path):
    """Door plates have a foreign key to their unit grid, checked at the commit. The import checks
    its own rows before building the indexes, then the key is deferred again for the rest of the
    transaction: a plate naming a grid that does not exist yet is still accepted until the commit."""
    assert not DoorPlate.objects.exists()
    path = tmp_path / "plates.gpkg"
    gpd.GeoDataFrame({"门牌编码": ["D-201"], "街路巷名": ["幸福路"], "门牌号": ["1号"]},
                     geometry=shapely.points([(120.41, 33.12)]), crs="EPSG:4490").to_file(path, driver="GPKG",
                                                                                         engine="pyogrio")
    with transaction.atomic():
        assert load.run("door_plates", path, city.users["admin"]).counts.inserted == 1
        with connection.cursor() as cur:
            cur.execute("INSERT INTO layers_doorplate (created_at, updated_at, code, street_name, number, building,"
                        " aliases, old_names, geom, unit_grid_id) VALUES (now(), now(), 'D-202', '幸福路', '2号', '',"
                        " '[]', '[]', ST_SetSRID(ST_MakePoint(120.41, 33.12), 4490), '999999999999999')")
            with pytest.raises(IntegrityError, match="unit_grid"):
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)


def test_a_layer_another_session_holds_keeps_its_indexes(city, tmp_path):
    """Another session reading the empty layer (a long export, another import's check): the import
    does not wait for its lock — nor deadlock with it — but inserts with the indexes kept."""
    import psycopg

    from jobs.progress import conninfo

    Component.objects.all().delete()
    before = indexes("layers_component")
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    with psycopg.connect(conninfo()) as reader:
        reader.execute("SELECT count(*) FROM layers_component").fetchone()  # holds ACCESS SHARE until it ends
        assert load.run("components", path, city.users["admin"]).counts.inserted == len(SAMPLE)
        reader.rollback()
    assert indexes("layers_component") == before
    with connection.cursor() as cur:
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone()[0] == "0"  # the short wait was for the lock only


def test_a_parent_layer_emptied_in_the_same_transaction(city, tmp_path):
    """Deleting unit grids queues the deferred checks of the foreign keys that reference them (door
    plates, facilities …) on the grid table; a first census of grids in the same transaction has
    them checked before it builds the grid indexes."""
    from layers.models import POI, Facility, UnitGrid

    for model in (Component, Facility, DoorPlate, POI, UnitGrid):
        model.objects.all().delete()
    before = indexes("layers_unitgrid")
    path = tmp_path / "grids.gpkg"
    gpd.GeoDataFrame({"网格编码": ["320982001001001"]}, geometry=[shapely.box(120.40, 33.10, 120.45, 33.20)],
                     crs="EPSG:4490").to_file(path, driver="GPKG", engine="pyogrio")
    assert load.run("unit_grids", path, city.users["admin"]).counts.inserted == 1
    after = indexes("layers_unitgrid")
    assert {n: d for n, (_, d) in after.items()} == {n: d for n, (_, d) in before.items()}
    assert any(after[n][0] != before[n][0] for n in after)  # built after the row


def test_indexes_with_settings_their_definitions_leave_out_are_kept(city, tmp_path, owner_conninfo):
    """A comment (or a fillfactor, CLUSTER …) would not survive a rebuild: such a layer keeps its indexes.
    The comment is the owner's to write (committed, and removed after)."""
    Component.objects.all().delete()
    with psycopg.connect(owner_conninfo, autocommit=True) as owner:
        owner.execute("COMMENT ON INDEX layers_component_class IS 'by class, for the dispatch screens'")
        try:
            before = indexes("layers_component")
            path = tmp_path / "census.gpkg"
            frame().to_file(path, driver="GPKG", engine="pyogrio")
            assert load.run("components", path, city.users["admin"]).counts.inserted == len(SAMPLE)
            assert indexes("layers_component") == before
            with connection.cursor() as cur:
                cur.execute("SELECT obj_description('layers_component_class'::regclass)")
                assert cur.fetchone()[0] == "by class, for the dispatch screens"
        finally:
            owner.execute("COMMENT ON INDEX layers_component_class IS NULL")
