"""The platform runs as an unprivileged database role (issue 19, ARCHITECTURE.md "Database roles").

These tests run as the app role, as the platform does (tests/conftest.py migrates the test database
as the owner role, then logs in as the app's): what an attacker holding the platform's own database
login would try against the audit log is refused by the database, and every audit entry names the
real login beside the actor the application claims.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from layers.editing import acting_as
from layers.models import Component

ROOT = Path(__file__).resolve().parents[2]
APP = settings.GRIDCITY_APP_ROLE


@pytest.fixture
def owner(owner_conninfo) -> Iterator[psycopg.Connection]:
    """A connection to the test database as the owner role (what ``gridcity migrate`` logs in as)."""
    with psycopg.connect(owner_conninfo) as conn:
        yield conn


def refused(statement: str, match: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params)


def test_the_tests_run_as_the_app_role(db) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT session_user, current_user, r.rolsuper, r.rolcreaterole, r.rolbypassrls "
                    "FROM pg_roles r WHERE r.rolname = session_user")
        assert cur.fetchone() == (APP, APP, False, False, False)
    assert APP != settings.GRIDCITY_OWNER_DATABASE["USER"]


@pytest.mark.parametrize("statement", [
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    "SELECT set_config('session_replication_role', 'replica', true)",
])
def test_the_app_cannot_switch_triggers_off_by_replication_role(db, statement: str) -> None:
    refused(statement, 'permission denied to set parameter "session_replication_role"')


@pytest.mark.parametrize("statement", [
    "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_immutable",
    "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_truncate",
    "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_stamp",
    "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
    "ALTER TABLE audit_auditentry DISABLE TRIGGER USER",
    "ALTER TABLE audit_auditentry ADD COLUMN note text",
    "ALTER TABLE audit_auditentry RENAME TO audit_old",
    "DROP TRIGGER audit_entry_immutable ON audit_auditentry",
    "DROP TABLE audit_auditentry",
    "ALTER TABLE layers_component DISABLE TRIGGER audit_insert",
    "ALTER TABLE layers_component DISABLE TRIGGER ALL",
    "ALTER TABLE accounts_user DISABLE TRIGGER audit_update",
    "DROP TRIGGER audit_delete ON layers_component",
])
def test_the_app_cannot_alter_the_audit_table_or_disable_audit_triggers(db, statement: str) -> None:
    refused(statement, "must be owner of")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET actor = 'intruder'",
    "DELETE FROM audit_auditentry",
    "TRUNCATE audit_auditentry",
    "LOCK TABLE audit_auditentry IN ACCESS EXCLUSIVE MODE",
    "TRUNCATE layers_component",  # a TRUNCATE of a layer would leave no entry: refused too
    "CREATE TABLE audit_shadow (id bigint)",
    "CREATE FUNCTION audit_shadow() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "SELECT * FROM gridcity_private.registered_table",
    "SELECT gridcity_grant_app('gridcity_app')",
])
def test_the_app_has_no_privilege_for_it(city, statement: str) -> None:
    refused(statement, "permission denied")


def test_the_owner_is_refused_by_the_logs_triggers(owner) -> None:
    """The owner role could switch the triggers off (it owns them), but what it writes as SQL is
    refused like anyone's: the entry it adds in its transaction cannot be changed or removed."""
    for statement in ("UPDATE audit_auditentry SET actor = 'intruder'", "DELETE FROM audit_auditentry",
                      "TRUNCATE audit_auditentry"):
        with owner.transaction(force_rollback=True):
            owner.execute("INSERT INTO audit_auditentry (at, actor, action, table_name, row_id) "
                          "VALUES (now(), 'probe', 'PROBE', 'probe', '1')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit log cannot be changed"):
                owner.execute(statement)


def test_an_entry_names_the_real_login_beside_a_false_actor(city) -> None:
    """A session that names itself ``admin`` (gridcity.actor is the application's, any session may
    set it) is still shown with its database login, and an INSERT giving another login and time
    gets the database's."""
    component = city.components["3209820101000001"]
    with acting_as("admin"):
        Component.objects.filter(pk=component.pk).update(name="改名")
    entry = AuditEntry.objects.filter(table_name="layers_component", row_id=str(component.pk)).latest("id")
    assert (entry.actor, entry.action, entry.db_user) == ("admin", "UPDATE", APP)
    with connection.cursor() as cur:
        cur.execute("INSERT INTO audit_auditentry (at, actor, db_user, action, table_name, row_id) "
                    "VALUES ('2000-01-01T00:00:00Z', 'admin', %s, 'LOGIN', 'accounts_user', '1') "
                    "RETURNING db_user, at > now() - interval '1 hour'", [settings.GRIDCITY_OWNER_DATABASE["USER"]])
        assert cur.fetchone() == (APP, True)
    forged = AuditEntry.objects.create(at="2000-01-01T00:00:00Z", actor="admin", db_user="postgres", action="LOGIN",
                                       table_name="accounts_user", row_id="1")
    forged.refresh_from_db()
    assert forged.db_user == APP and forged.at.year > 2000


def test_the_owner_functions_touch_link_triggers_of_a_held_empty_layer_only(city) -> None:
    """The import's privileged steps, as the app role: a registered layer's INSERT link triggers may be
    switched off while the caller holds it alone and empty, and on again only with the table checked;
    no other trigger, table or state is accepted."""
    refused("SELECT gridcity_links_off('layers_component')", "ACCESS EXCLUSIVE")  # not held
    for table in ("audit_auditentry", "accounts_user", "django_migrations"):
        refused("SELECT gridcity_links_off(%s)", "not a registered layer table", [table])
        refused("SELECT gridcity_indexes_drop(%s, true)", "not a registered layer table", [table])
        refused("SELECT gridcity_analyze(%s, NULL)", "not a registered layer table", [table])
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("LOCK TABLE layers_component IN ACCESS EXCLUSIVE MODE")
        refused("SELECT gridcity_links_off('layers_component')", "not empty")  # the city's components
    with transaction.atomic(), connection.cursor() as cur:
        Component.objects.all().delete()
        cur.execute("LOCK TABLE layers_component IN ACCESS EXCLUSIVE MODE")
        cur.execute("SELECT gridcity_links_off('layers_component')")
        switched = cur.fetchone()[0]
        cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'layers_component'::regclass AND tgenabled = 'D'")
        assert sorted(name for (name,) in cur.fetchall()) == sorted(switched)
        assert switched and all(name.startswith("link_") and name.endswith("_insert") for name in switched)
        for trigger in ("audit_insert", "audit_update", "tiles_components_insert", "link_unit_grid_id_update"):
            refused("SELECT gridcity_links_on('layers_component', %s)", "no link trigger", [trigger])
        # a row naming a missing grid: switching its link back on checks the table and fails
        cur.execute("SAVEPOINT orphan")
        cur.execute("INSERT INTO layers_component (created_at, updated_at, code, name, dept_admin, dept_owner,"
                    " dept_maintain, status, data_source, location_desc, note, photos, geom, component_class_id,"
                    " unit_grid_id) VALUES (now(), now(), '3209820101000999', '孤', '', '', '', '完好', '', '', '',"
                    " '[]', ST_SetSRID(ST_MakePoint(120.41, 33.11), 4490), '0101', '320982999999999')")
        with pytest.raises(DatabaseError, match="violates its link"):
            for trigger in switched:
                cur.execute("SELECT gridcity_links_on('layers_component', %s)", [trigger])
        cur.execute("ROLLBACK TO SAVEPOINT orphan")
        for trigger in switched:
            cur.execute("SELECT gridcity_links_on('layers_component', %s)", [trigger])
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'layers_component'::regclass "
                    "AND tgenabled = 'D'")
        assert cur.fetchone()[0] == 0
        transaction.set_rollback(True)


def test_migrations_ran_as_the_owner_and_the_app_owns_nothing(db) -> None:
    owner_role = settings.GRIDCITY_OWNER_DATABASE["USER"]
    with connection.cursor() as cur:
        # every table, view, sequence, function and schema of the platform (not PostGIS's) is the owner's
        cur.execute("""
            SELECT kind, owner::regrole::text, count(*) FROM (
              SELECT 'relation' AS kind, c.relowner AS owner
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ('public', 'gridcity_private') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.deptype = 'e')
                AND c.relname NOT LIKE 'spatial\\_ref\\_sys%%'
              UNION ALL
              SELECT 'function', p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname IN ('public', 'gridcity_private')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                AND d.deptype = 'e')) o
            GROUP BY 1, 2 ORDER BY 1, 2""")
        owners = cur.fetchall()
        assert {owner for _, owner, _ in owners} == {owner_role}, owners
        assert {kind for kind, _, _ in owners} == {"relation", "function"}
        cur.execute("SELECT count(*) FROM django_migrations WHERE app = 'audit' AND name = '0008_audit_db_user'")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
        assert cur.fetchone() == (owner_role,)
        # the app role's privileges on each table: rows only, and the audit log's appended to
        cur.execute("""
            SELECT c.relname, array_agg(p.privilege ORDER BY p.privilege)
            FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                                          'TRIGGER']) p(privilege)
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
              AND c.relname NOT LIKE 'spatial\\_ref\\_sys%%'
              AND c.relname NOT IN ('geometry_columns', 'geography_columns')
              AND has_table_privilege(session_user, c.oid, p.privilege)
            GROUP BY 1""")
        granted = dict(cur.fetchall())
    assert granted.pop("audit_auditentry") == ["INSERT", "SELECT"]
    assert granted.pop("django_migrations") == ["SELECT"]
    assert granted and all(given == ["DELETE", "INSERT", "SELECT", "UPDATE"] for given in granted.values()), granted
    assert {"layers_component", "accounts_user", "importers_rowdigest", "tiles_cache"} <= set(granted)


def test_a_table_the_owner_makes_later_is_granted_to_the_app_at_once(owner) -> None:
    """Default privileges: a later migration's table needs no grant of its own."""
    with owner.transaction(force_rollback=True):
        owner.execute("CREATE TABLE later_package_thing (id bigint GENERATED ALWAYS AS IDENTITY, name text)")
        got = owner.execute("SELECT has_table_privilege(%s, 'later_package_thing', 'SELECT, INSERT, UPDATE, DELETE'),"
                            " has_table_privilege(%s, 'later_package_thing', 'TRUNCATE'),"
                            " has_sequence_privilege(%s, 'later_package_thing_id_seq', 'USAGE')",
                            [APP, APP, APP]).fetchone()
        assert got == (True, False, True)


def test_the_app_stages_imports_in_temporary_tables(db) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE import_probe (n int) ON COMMIT DROP")
        cur.execute("INSERT INTO import_probe VALUES (1)")
        cur.execute("SELECT count(*) FROM import_probe")
        assert cur.fetchone() == (1,)


def test_serve_refuses_a_login_that_owns_the_tables(db) -> None:
    """``gridcity serve`` given the owner's login as DATABASE_URL stops with a message, before gunicorn."""
    login, db_settings = settings.GRIDCITY_OWNER_DATABASE, connection.settings_dict
    url = (f"postgresql://{login['USER']}:{login['PASSWORD']}@{db_settings['HOST']}:{db_settings['PORT']}/"
           f"{db_settings['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev"}
    env.pop("GRIDCITY_OWNER_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "gridcity.cli", "serve", "--port", "9"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"DATABASE_URL logs in as '{login['USER']}', the owner of" in done.stderr
    assert "gridcity at http" not in done.stdout
