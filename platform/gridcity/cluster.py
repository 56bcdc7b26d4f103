"""The embedded PostgreSQL + PostGIS cluster: the platform's default database.

When ``DATABASE_URL`` is not set, gridcity runs its own cluster in ``.gridcity/`` under the
checkout: ``initdb`` once, ``pg_ctl start`` on a private port (derived from the checkout's
path, so two checkouts on one machine never collide) and a private socket folder, listening on
127.0.0.1 only, with a generated password for the ``gridcity`` superuser. No system service
is needed. PostgreSQL refuses to run as root, so when this runs as root the server runs as the
``postgres`` user (``runuser``) and the cluster folders belong to it.
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

from .errors import SetupError

SERVER_USER = "postgres"
SUPERUSER = "gridcity"
DATABASE = "gridcity"
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
        if not self.credentials_file.exists():
            port = _free_port(54000 + zlib.crc32(str(self.home.resolve()).encode()) % 900)
            creds: dict[str, str | int] = {"port": port, "user": SUPERUSER, "password": secrets.token_urlsafe(18)}
            self.home.mkdir(parents=True, exist_ok=True)
            self.credentials_file.write_text(json.dumps(creds))
            self.credentials_file.chmod(0o600)
        return json.loads(self.credentials_file.read_text())

    def url(self, database: str = DATABASE) -> str:
        c = self.credentials()
        return f"postgresql://{c['user']}:{c['password']}@127.0.0.1:{c['port']}/{database}"

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
        self.ensure_database(DATABASE)

    def stop(self) -> None:
        if self.running():
            self._run([str(_find_bindir() / "pg_ctl"), "stop", "-m", "fast", "-D", str(self.datadir)],
                      "stopping PostgreSQL")

    def ensure_database(self, name: str) -> None:
        """Create ``name`` with PostGIS and pg_trgm unless it exists (also in template1, for test databases)."""
        deadline = time.monotonic() + 30
        while True:
            try:
                admin = psycopg.connect(self.url("postgres"), autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        with admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
        for db in ("template1", name):
            with psycopg.connect(self.url(db), autocommit=True) as conn:
                try:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover - depends on the host
                    raise SetupError(
                        "PostGIS is not installed for this PostgreSQL: apt-get install postgresql-15-postgis-3"
                    ) from exc
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


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

