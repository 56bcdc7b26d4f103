"""The embedded PostgreSQL + PostGIS cluster: the platform's default database.

When ``DATABASE_URL`` is not set, gridcity runs its own cluster in ``.gridcity/`` under the
checkout: ``initdb`` once, ``pg_ctl start`` on a private port (derived from the checkout's
path, so two checkouts on one machine never collide) and a private socket folder, listening on
127.0.0.1 only. No system service is needed. PostgreSQL refuses to run as root, so when this
runs as root the server runs as the ``postgres`` user (``runuser``) and the cluster folders belong
to it.

Three logins, each with a generated password kept in ``cluster.json`` (mode 0600):

- ``gridcity``, the cluster's superuser: creates the roles, the databases and their extensions,
  and nothing else (the platform never connects as it);
- ``gridcity_owner`` (:data:`OWNER`): owns the database and every table, function and trigger in
  it; ``gridcity migrate`` runs as it;
- ``gridcity_app`` (:data:`APP`): everything else (serve, demo, imports, tests) — no superuser, owns
  nothing, has only the grants the migrations give it (``audit/sql/grants.sql``).

A cluster made by an earlier version (the superuser alone, owning everything) is upgraded in place
by :meth:`Cluster.start`: the two roles are added, and the database and its objects handed to the
owner (``sql/adopt.sql``).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import socket
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from .errors import SetupError

SERVER_USER = "postgres"
SUPERUSER = "gridcity"
OWNER = "gridcity_owner"
APP = "gridcity_app"
DATABASE = "gridcity"
# The logins of a cluster: the role name and, in cluster.json, the keys of its name and password.
ROLES = {"superuser": ("user", "password"), "owner": ("owner_user", "owner_password"),
         "app": ("app_user", "app_password")}
_ROLE_NAMES = {"owner": OWNER, "app": APP}
# What each role may do on the cluster: the owner makes databases (the test runs make their own).
_ROLE_OPTIONS = {
    "owner": "LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    "app": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
}
_ADOPT = Path(__file__).with_name("sql") / "adopt.sql"
# Memory, WAL and planner settings the platform's queries and loads are measured with, on any server:
# docker-compose.yml starts its database with them too (a test compares).
TUNING = {
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "2GB",
    # SSD storage: an index probe is not four times a sequential page (the default's spinning disks),
    # so a re-survey's few changed rows are joined to the layer by index, not by hashing all of it.
    "random_page_cost": "1.1",
}
# Server settings for a development/demo cluster on a small machine; applied at every start.
# ``synchronous_commit = off`` may lose the last commits of a crash: a demo's trade, not a deployment's.
SERVER_OPTIONS = {
    **TUNING,
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "512MB",
    "synchronous_commit": "off",
    "max_connections": "100",
}


def checkout_root() -> Path:
    """The folder holding the checkout (``GRIDCITY_HOME`` overrides it)."""
    env = os.environ.get("GRIDCITY_HOME")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def _find_bindir() -> Path:
    env = os.environ.get("GRIDCITY_PG_BIN")
    candidates = [Path(env)] if env else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise SetupError(
        "No PostgreSQL server binaries found (looked for initdb in /usr/lib/postgresql/*/bin). "
        "Install postgresql-15 and postgresql-15-postgis-3, or set GRIDCITY_PG_BIN, "
        "or point DATABASE_URL at an existing PostGIS."
    )


@dataclass(frozen=True)
class Cluster:
    """One embedded cluster living in ``home`` (``.gridcity/`` of the checkout by default)."""

    home: Path

    @classmethod
    def default(cls) -> Cluster:
        return cls(checkout_root() / ".gridcity")

    @property
    def datadir(self) -> Path:
        return self.home / "pgdata"

    @property
    def rundir(self) -> Path:
        """Socket, log: writable by the server user."""
        return self.home / "pgrun"

    @property
    def credentials_file(self) -> Path:
        return self.home / "cluster.json"

    def credentials(self) -> dict[str, str | int]:
        """Port and logins, made once; a file of an earlier version (the superuser only) gets the
        owner's and the app's logins added."""
        if self.credentials_file.exists():
            creds: dict[str, str | int] = json.loads(self.credentials_file.read_text())
        else:
            port = _free_port(54000 + zlib.crc32(str(self.home.resolve()).encode()) % 900)
            creds = {"port": port, "user": SUPERUSER, "password": secrets.token_urlsafe(18)}
        if any(key not in creds for key, _ in ROLES.values()):
            for role, name in _ROLE_NAMES.items():
                user, password = ROLES[role]
                creds.setdefault(user, name)
                creds.setdefault(password, secrets.token_urlsafe(18))
            self.home.mkdir(parents=True, exist_ok=True)
            self.credentials_file.touch(mode=0o600)
            self.credentials_file.chmod(0o600)
            self.credentials_file.write_text(json.dumps(creds))
        return creds

    def url(self, database: str = DATABASE, role: str = "app") -> str:
        """The URL of ``database`` for ``role``: ``app`` (the platform), ``owner`` (migrations) or
        ``superuser`` (the cluster's own housekeeping)."""
        c = self.credentials()
        user, password = ROLES[role]
        return f"postgresql://{c[user]}:{c[password]}@127.0.0.1:{c['port']}/{database}"

    # -- running the server binaries -------------------------------------------------------
    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return argv

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, argv: list[str], what: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self._as_server_user(argv), capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    # -- lifecycle --------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        probe = subprocess.run(
            self._as_server_user([str(_find_bindir() / "pg_ctl"), "status", "-D", str(self.datadir)]),
            capture_output=True,
        )
        return probe.returncode == 0

    def init(self) -> None:
        """Create the cluster folder with ``initdb`` (scram passwords, UTF-8)."""
        bindir = _find_bindir()
        creds = self.credentials()
        for folder in (self.datadir, self.rundir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
            self._own(folder)
        pwfile = self.rundir / "initdb.pw"
        pwfile.write_text(str(creds["password"]))
        self._own(pwfile)
        try:
            self._run(
                [str(bindir / "initdb"), "-D", str(self.datadir), "-U", str(creds["user"]),
                 f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8", "--locale=C"],
                "initdb",
            )
        finally:
            pwfile.unlink()

    def start(self) -> None:
        """Start the server if it is not running, then make sure the database and PostGIS exist."""
        if not self.initialised():
            if self.datadir.exists() and any(self.datadir.iterdir()):
                raise SetupError(f"{self.datadir} exists but is not a PostgreSQL cluster; move it away.")
            self.init()
        if not self.running():
            if os.geteuid() == 0 and not _server_user_can_reach(self.home):
                raise SetupError(
                    f"The '{SERVER_USER}' user cannot reach {self.home}; put the checkout in a folder "
                    "other users can traverse (not under /root), or set DATABASE_URL."
                )
            port = self.credentials()["port"]
            options = {**SERVER_OPTIONS, "port": str(port), "unix_socket_directories": str(self.rundir)}
            opts = " ".join(f"-c {k}={v}" for k, v in options.items())
            self._run(
                [str(_find_bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.datadir),
                 "-l", str(self.rundir / "server.log"), "-o", opts],
                f"starting PostgreSQL on port {port} (log: {self.rundir / 'server.log'})",
            )
        self.ensure_roles()
        self.ensure_database(DATABASE)

    def stop(self) -> None:
        if self.running():
            self._run([str(_find_bindir() / "pg_ctl"), "stop", "-m", "fast", "-D", str(self.datadir)],
                      "stopping PostgreSQL")

    def _superuser(self, database: str = "postgres") -> psycopg.Connection:
        """A connection as the superuser, waiting up to 30 s for a server that is starting."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return psycopg.connect(self.url(database, "superuser"), autocommit=True)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def ensure_roles(self) -> None:
        """Create the owner's and the app's logins unless they exist, with the passwords of
        ``cluster.json``, and make sure neither is more than it should be."""
        creds = self.credentials()
        with self._superuser() as admin:
            for role, options in _ROLE_OPTIONS.items():
                user, password = ROLES[role]
                exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [creds[user]]).fetchone()
                admin.execute(sql.SQL("{} ROLE {} {} PASSWORD {}").format(
                    sql.SQL("ALTER" if exists else "CREATE"), sql.Identifier(str(creds[user])), sql.SQL(options),
                    sql.Literal(str(creds[password]))))

    def ensure_database(self, name: str) -> None:
        """Create ``name``, owned by the owner role, with PostGIS and pg_trgm unless it exists (also in
        template1, for test databases); a database of an earlier version has its objects handed to
        the owner role (``sql/adopt.sql``)."""
        creds = self.credentials()
        owner = sql.Identifier(str(creds[ROLES["owner"][0]]))
        with self._superuser() as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), owner))
            else:
                admin.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), owner))
        for db in ("template1", name):
            with self._superuser(db) as conn:
                try:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover - depends on the host
                    raise SetupError(
                        "PostGIS is not installed for this PostgreSQL: apt-get install postgresql-15-postgis-3"
                    ) from exc
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                if db == name:
                    conn.execute(_ADOPT.read_text())
                    conn.execute("SELECT pg_temp.gridcity_adopt(%s)", [creds[ROLES["owner"][0]]])


def _free_port(first: int) -> int:
    """``first`` or the next port after it that nothing on 127.0.0.1 listens on (chosen once per cluster)."""
    for port in range(first, first + 100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SetupError(f"no free port in {first}–{first + 99} for the embedded PostgreSQL; set DATABASE_URL")


def _server_user_can_reach(path: Path) -> bool:
    probe = subprocess.run(["runuser", "-u", SERVER_USER, "--", "test", "-x", str(path)], capture_output=True)
    return probe.returncode == 0

