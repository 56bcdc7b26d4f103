"""``gridcity worker`` as the deployment runs it: a process of its own, on procrastinate's pooled
connections, woken by LISTEN/NOTIFY, taking a job committed by another connection and running it;
SIGTERM stops it cleanly. (The other job tests run the worker in the test's own thread, on the test's
uncommitted data; this one commits, so it uses a job that needs no committed business rows — the
deletion of expired package files — and deletes the queue rows it made.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from procrastinate.contrib.django import app
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector

from jobs.progress import conninfo
from tiles.tasks import expire_packages

WAIT_SECONDS = 120  # a bound on waiting for the worker, not a speed expectation


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def committed_queue(db):
    """A connection of its own to the test database; the queue rows committed through it or by the worker
    process are deleted afterwards (a committed job left waiting would be run by later tests' workers)."""
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        assert conn.info.dbname == connection.settings_dict["NAME"]
        try:
            yield conn
        finally:
            conn.execute("DELETE FROM procrastinate_periodic_defers")
            conn.execute("DELETE FROM procrastinate_jobs")
            conn.execute("DELETE FROM procrastinate_workers")


def test_a_worker_process_runs_a_job_committed_by_another_connection(committed_queue, tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    stray = packages / ".320982001-1.mbtiles.99.abcd.part"  # what a killed build leaves
    stray.write_bytes(b"part")
    old = time.time() - 3 * 3600
    os.utime(stray, (old, old))
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev", "GRIDCITY_PACKAGE_DIR": str(packages),
           "GRIDCITY_PACKAGE_RETENTION_HOURS": "1",
           "DATABASE_URL": f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    worker = subprocess.Popen([sys.executable, "-m", "gridcity.cli", "worker", "--queues", "maintenance"], env=env)
    try:
        wait_for(lambda: committed_queue.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] > 0,
                 "the worker to register")
        connector = SyncPsycopgConnector(conninfo=conninfo())
        with app.replace_connector(connector):
            connector.open()
            try:
                job = expire_packages.defer(timestamp=int(time.time()))
            finally:
                connector.close()

        def status() -> str:
            return committed_queue.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job]).fetchone()[0]

        wait_for(lambda: status() in ("succeeded", "failed"), "the job to finish")
        assert status() == "succeeded"
        assert not stray.exists()
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=WAIT_SECONDS)
    assert code == 0
    assert committed_queue.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] == 0  # unregistered
