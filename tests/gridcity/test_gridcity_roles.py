"""The two database roles, as configured: settings, the embedded cluster's logins and upgrade of an
earlier cluster, ``gridcity migrate``'s refusal without the owner's login, and docker-compose.yml
with its init script (run for real against the embedded cluster, then migrated as its owner)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from django.db import connection
from psycopg import sql

from gridcity.cli import main as cli_main
from gridcity.cluster import ROLES, Cluster
from gridcity.errors import SetupError
from gridcity.settings.base import database_from_url, owner_database

ROOT = Path(__file__).resolve().parents[2]
APP_URL = "postgresql://city_app:pw@db.example.org:5432/city"


def test_the_owner_login_is_another_role_on_the_same_database() -> None:
    app = database_from_url(APP_URL)
    assert owner_database(app, "postgresql://city_owner:s%40cret@db.example.org:5432/city") == {
        "USER": "city_owner", "PASSWORD": "s@cret"}
    assert owner_database(app, None) is None


@pytest.mark.parametrize(("owner_url", "says"), [
    ("postgresql://city_app:pw@db.example.org:5432/city", "both log in as 'city_app'"),
    ("postgresql://city_owner:pw@db.example.org:5432/other", "its name is 'other'"),
    ("postgresql://city_owner:pw@elsewhere:5432/city", "its host is 'elsewhere'"),
])
def test_the_owner_login_is_refused_when_it_is_not(owner_url: str, says: str) -> None:
    with pytest.raises(SetupError) as caught:
        owner_database(database_from_url(APP_URL), owner_url)
    assert says in caught.value.message


def test_migrate_without_the_owners_login_says_how_to_give_it(settings, capsys) -> None:
    settings.GRIDCITY_OWNER_DATABASE = None
    assert cli_main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "GRIDCITY_OWNER_DATABASE_URL is not set" in err and "owner role" in err


def test_credentials_of_an_earlier_cluster_get_the_two_roles(tmp_path: Path) -> None:
    """A cluster.json of the superuser alone keeps its port and password and gains the two logins."""
    home = tmp_path / "cluster"
    home.mkdir()
    (home / "cluster.json").write_text(json.dumps({"port": 54321, "user": "gridcity", "password": "old-secret"}))
    creds = Cluster(home).credentials()
    assert (creds["port"], creds["user"], creds["password"]) == (54321, "gridcity", "old-secret")
    assert (creds["owner_user"], creds["app_user"]) == ("gridcity_owner", "gridcity_app")
    assert json.loads((home / "cluster.json").read_text()) == creds
    assert Cluster(home).credentials() == creds


def test_an_earlier_databases_objects_are_handed_to_the_owner(db, superuser_conninfo) -> None:
    """What the superuser made (as an earlier version's migrations did) becomes the owner role's:
    tables with their sequences, views, functions; PostGIS's own objects stay the extension's."""
    owner = str(Cluster.default().credentials()[ROLES["owner"][0]])
    adopt = (ROOT / "platform" / "gridcity" / "sql" / "adopt.sql").read_text()
    with psycopg.connect(superuser_conninfo) as conn, conn.transaction(force_rollback=True):
        conn.execute("CREATE TABLE legacy_thing (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);"
                     "CREATE VIEW legacy_view AS SELECT name FROM legacy_thing;"
                     "CREATE FUNCTION legacy_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        conn.execute(adopt)
        moved = conn.execute("SELECT pg_temp.gridcity_adopt(%s)", [owner]).fetchone()[0]
        assert moved == 3
        owners = conn.execute(
            "SELECT relname, pg_get_userbyid(relowner) FROM pg_class WHERE relname IN "
            "('legacy_thing', 'legacy_thing_id_seq', 'legacy_view', 'spatial_ref_sys') ORDER BY 1").fetchall()
        assert owners == [("legacy_thing", owner), ("legacy_thing_id_seq", owner), ("legacy_view", owner),
                          ("spatial_ref_sys", conn.info.user)]
        assert conn.execute("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'legacy_fn'").fetchone() == (
            owner,)
        assert conn.execute("SELECT pg_temp.gridcity_adopt(%s)", [owner]).fetchone() == (0,)


# -- docker-compose.yml ---------------------------------------------------------------------------------

def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _filled(value: str) -> str:
    """A compose value with its ${VAR…} references given a password."""
    return re.sub(r"\$\{([A-Z_]+)[^}]*\}", lambda m: f"pw-{m.group(1).lower()}", value)


def test_compose_runs_the_app_as_the_app_role_and_migrations_as_the_owner() -> None:
    services = _compose()["services"]
    app, migrate, db = services["app"]["environment"], services["migrate"], services["db"]
    app_db = database_from_url(_filled(app["DATABASE_URL"]))
    assert app_db["USER"] == "gridcity_app" and "GRIDCITY_OWNER_DATABASE_URL" not in app
    assert app_db["PASSWORD"] == "pw-gridcity_app_password"
    # the migrate service: `gridcity migrate` with the owner's login to the app's database
    assert migrate["command"] == ["gridcity", "migrate"] and migrate["restart"] == "no"
    env = migrate["environment"]
    owner = owner_database(database_from_url(_filled(env["DATABASE_URL"])), _filled(env["GRIDCITY_OWNER_DATABASE_URL"]))
    assert owner == {"USER": "gridcity_owner", "PASSWORD": "pw-gridcity_owner_password"}
    assert database_from_url(_filled(env["DATABASE_URL"]))["USER"] == app_db["USER"]
    assert {k: database_from_url(_filled(env["DATABASE_URL"]))[k] for k in ("NAME", "HOST", "PORT")} == {
        k: app_db[k] for k in ("NAME", "HOST", "PORT")}
    assert services["app"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "migrate" not in (ROOT / "Dockerfile").read_text().split("\nCMD", 1)[1]
    # the database container creates both roles with the passwords the URLs use
    assert "./deploy/db/gridcity-roles.sh:/docker-entrypoint-initdb.d/20-gridcity-roles.sh:ro" in db["volumes"]
    assert {"GRIDCITY_OWNER_PASSWORD", "GRIDCITY_APP_PASSWORD"} <= set(db["environment"])
    script = (ROOT / "deploy" / "db" / "gridcity-roles.sh").read_text()
    assert 'OWNER="${GRIDCITY_OWNER_ROLE:-gridcity_owner}"' in script
    assert 'APP="${GRIDCITY_APP_ROLE:-gridcity_app}"' in script


def test_the_compose_init_script_makes_roles_the_platform_migrates_and_runs_with(db, superuser_conninfo,
                                                                                tmp_path: Path) -> None:
    """deploy/db/gridcity-roles.sh, run twice (idempotent) against the embedded cluster with roles and a
    database of its own, then `gridcity migrate` as its owner: the app's login reads the layers and
    cannot change the audit log."""
    cluster = Cluster.default()
    creds = cluster.credentials()
    suffix = os.getpid()
    name, owner, app = f"gridcity_compose_{suffix}", f"compose_owner_{suffix}", f"compose_app_{suffix}"
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(creds["port"]), "PGPASSWORD": str(creds["password"]),
           "POSTGRES_USER": str(creds["user"]), "POSTGRES_DB": name, "GRIDCITY_OWNER_ROLE": owner,
           "GRIDCITY_APP_ROLE": app, "GRIDCITY_OWNER_PASSWORD": "owner-pw", "GRIDCITY_APP_PASSWORD": "app-pw",
           "GRIDCITY_ADOPT_SQL": str(ROOT / "platform" / "gridcity" / "sql" / "adopt.sql")}
    base = f"127.0.0.1:{creds['port']}/{name}"
    try:
        for _ in range(2):
            done = subprocess.run(["bash", str(ROOT / "deploy" / "db" / "gridcity-roles.sh")], env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        migrate_env = {**os.environ, "DATABASE_URL": f"postgresql://{app}:app-pw@{base}",
                       "GRIDCITY_OWNER_DATABASE_URL": f"postgresql://{owner}:owner-pw@{base}",
                       "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev"}
        done = subprocess.run([sys.executable, "-m", "gridcity.cli", "migrate", "--verbosity", "0"], env=migrate_env,
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        with psycopg.connect(f"postgresql://{app}:app-pw@{base}") as conn:
            assert conn.execute("SELECT count(*) FROM layers_component").fetchone() == (0,)
            assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone() == (False,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM audit_auditentry")
        with psycopg.connect(f"postgresql://{owner}:owner-pw@{base}") as conn:
            assert conn.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'audit_auditentry'"
                                ).fetchone() == (owner,)
    finally:
        cluster_admin = superuser_conninfo.replace(f"dbname={connection.settings_dict['NAME']}", "dbname=postgres")
        with psycopg.connect(cluster_admin, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for role in (owner, app):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
