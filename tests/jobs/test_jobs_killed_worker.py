"""An import whose worker process is killed mid-way (SIGKILL: no chance to clean up): its queue job stays
``doing`` and its record ``running`` — what the probe found — until the recovery, run by another worker
process, fails both with the reason and deletes the upload. Everything here is committed (two worker
processes with connections of their own take part), so the rows are made without triggers (no audit entry
outlives the test; superuser only, as in the embedded cluster) and deleted afterwards."""

from __future__ import annotations

import csv
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
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from psycopg import sql
from test_jobs_worker_process import WAIT_SECONDS, wait_for

from accounts.models import User
from importers.models import ImportJob
from importers.tasks import import_file
from jobs import recovery
from jobs.progress import conninfo
from jobs.tasks import recover_stalled

HEADER = ["标识码", "部件类别", "名称", "状态", "初始时间", "所在单元网格", "经度", "纬度"]


def commit(conn: psycopg.Connection, obj) -> int:
    """Insert the model instance ``obj`` as Django would, committed and without triggers; its id."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier(obj._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        sql.SQL(", ").join(sql.Placeholder() * len(fields)))
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        return conn.execute(statement, values).fetchone()[0]


@pytest.fixture
def committed(db, superuser_conninfo):
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        assert conn.info.dbname == connection.settings_dict["NAME"]
        made: list[tuple[str, int]] = []
        try:
            yield conn, made
        finally:
            conn.execute("DELETE FROM procrastinate_periodic_defers")
            conn.execute("DELETE FROM procrastinate_jobs")
            conn.execute("DELETE FROM procrastinate_workers")
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                for table, pk in reversed(made):
                    conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(table)), [pk])


def worker(*args: str, stalled: str = "60") -> subprocess.Popen:
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev", "GRIDCITY_STALLED_SECONDS": stalled,
           "DATABASE_URL": f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return subprocess.Popen([sys.executable, "-m", "gridcity.cli", "worker", *args], env=env)


def test_an_import_whose_worker_is_killed_is_failed_and_its_upload_deleted(committed, tmp_path: Path) -> None:
    conn, made = committed
    user = User(username="killed1", role="admin", jurisdiction_code="*")
    user.set_password("Gridcity-Test-2024!")
    made.append(("accounts_user", commit(conn, user)))
    upload = tmp_path / "upload" / "census.csv"
    upload.parent.mkdir()
    with upload.open("w", newline="", encoding="utf-8") as fh:  # enough rows to be killed while reading them
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows([f"3209820101{i:06d}", "0101", "井盖", "完好", "", "", 120.41 + i * 1e-7, 33.11]
                         for i in range(200_000))
    job = ImportJob(kind="components", file_name="census.csv", path=str(upload), options={"crs": "EPSG:4490"},
                    user_id=made[0][1])
    job_id = commit(conn, job)
    made.append(("importers_importjob", job_id))
    connector = SyncPsycopgConnector(conninfo=conninfo())
    with app.replace_connector(connector):
        connector.open()
        try:
            queue_job = import_file.defer(job_id=job_id)
        finally:
            connector.close()
    conn.execute("UPDATE importers_importjob SET queue_job = %s WHERE id = %s", [queue_job, job_id])

    def state() -> tuple[str, str]:
        return conn.execute("SELECT r.status, j.status FROM importers_importjob r JOIN procrastinate_jobs j"
                            " ON j.id = r.queue_job WHERE r.id = %s", [job_id]).fetchone()

    running = worker("--queues", "imports")
    try:
        wait_for(lambda: state() == ("running", "doing"), "the import to start")
    finally:
        running.send_signal(signal.SIGKILL)
        running.wait(timeout=WAIT_SECONDS)
    time.sleep(2)  # its last heartbeat now older than the stalled limit given to the recovery below
    assert state() == ("running", "doing")  # what a killed worker leaves behind
    assert upload.exists()

    with app.replace_connector(connector):
        connector.open()
        try:
            recover_stalled.defer(timestamp=int(time.time()))
        except AlreadyEnqueued:  # the killed worker's periodic deferrer queued it already
            pass
        finally:
            connector.close()
    recovering = worker("--once", "--queues", "maintenance", stalled="1")
    assert recovering.wait(timeout=WAIT_SECONDS) == 0
    ran = conn.execute("SELECT status FROM procrastinate_jobs WHERE task_name = 'jobs.recover_stalled'").fetchall()
    assert ran and {status for status, in ran} == {"succeeded"}
    assert state() == ("failed", "failed")
    error = conn.execute("SELECT error FROM importers_importjob WHERE id = %s", [job_id]).fetchone()[0]
    assert error["detail"] == recovery.STOPPED and error["errors"][0]["rule"] == "internal"
    assert not upload.exists() and not upload.parent.exists()
    # the killed import's transaction was rolled back with its connection: nothing of it was kept
    assert conn.execute("SELECT count(*) FROM layers_component WHERE code LIKE '3209820101%%'").fetchone()[0] == 0
