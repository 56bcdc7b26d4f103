"""Imports as procrastinate jobs (importers/jobs.py, importers/tasks.py): an upload queues a job and
nothing runs in the request; a worker runs it as the user who uploaded; progress counts the rows read
and is written live on a connection of its own; a job whose worker died is failed with the reason and
its upload deleted; old uploads are swept; ``gridcity worker`` runs procrastinate's worker."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from import_files import EXPECTED_GRID, SAMPLE, frame, upload
from import_files import write_csv as write_table
from procrastinate.contrib.django.models import ProcrastinateJob
from test_importers_components import HEADER, PLANTED

from audit.models import AuditEntry
from gridcity import cli as gridcity_cli
from importers import jobs, tasks
from importers.models import ImportJob
from jobs import progress as progress_module
from jobs import recovery
from jobs.tasks import recover_stalled
from layers.models import Component

CODES = [row[0] for row in SAMPLE]


def census(tmp_path: Path) -> Path:
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    return path


def queue_row(job: ImportJob) -> ProcrastinateJob:
    return ProcrastinateJob.objects.get(pk=job.queue_job)


# --- queued in the request, run by a worker ---------------------------------------------------------------


def test_an_upload_is_queued_and_a_worker_runs_it(city, tmp_path, uploads, run_jobs):
    path = census(tmp_path)
    admin = city.clients["admin"]
    response = upload(admin, path, kind="components")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["progress"] == {"rows_done": 0, "rows_total": None}
    assert body["summary"] is None and body["started_at"] is None and body["finished_at"] is None
    assert not Component.objects.filter(code__in=CODES).exists()  # nothing ran in the request
    job = ImportJob.objects.get(pk=body["id"])
    queued = queue_row(job)
    assert (queued.task_name, queued.queue_name, queued.args, queued.status) == (
        "importers.import_file", "imports", {"job_id": job.pk}, "todo")
    kept = Path(job.path)
    assert kept.parent.parent == uploads and kept.name == path.name and kept.read_bytes() == path.read_bytes()

    run_jobs()

    detail = admin.get(body["url"]).json()
    assert detail["status"] == "done", detail
    summary = detail["summary"]
    assert (summary["inserted"], summary["updated"], summary["unchanged"], summary["rejected"]) == (3, 0, 0, 0)
    assert detail["progress"] == {"rows_done": len(SAMPLE), "rows_total": len(SAMPLE)}
    assert detail["errors"] == [] and detail["failure"] is None
    assert detail["started_at"] and detail["finished_at"]
    assert dict(Component.objects.filter(code__in=CODES).values_list("code", "unit_grid_id")) == EXPECTED_GRID
    # the job ran as the user who uploaded it (the audit log names them)
    bulk = AuditEntry.objects.get(table_name="layers_component", action="INSERT", row_id="*")
    assert (bulk.actor, bulk.after["rows"]) == ("admin1", len(SAMPLE))
    assert not kept.exists() and list(uploads.iterdir()) == []
    assert queue_row(job).status == "succeeded"

    # The worker again finds nothing to run; a finished record is never run twice.
    run_jobs()
    assert jobs.run(job.pk).finished_at == ImportJob.objects.get(pk=job.pk).finished_at


def test_a_job_with_an_unreadable_file_fails_and_stores_nothing(city, tmp_path, imported, uploads):
    path = tmp_path / "census.zip"
    path.write_bytes(b"PK\x03\x04 but the rest of the archive is missing")
    before = set(Component.objects.values_list("code", "updated_at"))
    detail = imported(city.clients["admin"], path, kind="components")
    assert detail["status"] == "failed", detail
    failure = detail["failure"]
    assert failure["errors"][0]["rule"] == "readable_zip" and failure["errors"][0]["field"] == "file"
    assert failure["detail"].startswith("census.zip ") and "is not a readable zip archive" in failure["detail"]
    assert detail["summary"] is None and detail["progress"]["rows_done"] == 0
    assert detail["finished_at"]
    assert set(Component.objects.values_list("code", "updated_at")) == before
    assert list(uploads.iterdir()) == []


def test_a_job_that_breaks_unexpectedly_fails_with_the_reason(city, tmp_path, imported, uploads, monkeypatch):
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs.load, "run", explode)
    detail = imported(city.clients["admin"], census(tmp_path), kind="components")
    assert detail["status"] == "failed"
    assert detail["failure"]["errors"][0]["rule"] == "internal"
    assert "RuntimeError: disk on fire" in detail["failure"]["detail"]
    assert list(uploads.iterdir()) == []


def test_several_queued_imports_all_run_in_order(city, tmp_path, uploads, run_jobs, monkeypatch):
    order: list[int] = []
    real = jobs._import
    monkeypatch.setattr(jobs, "_import", lambda job: (order.append(job.pk), real(job)))
    ids = [upload(city.clients["admin"], census(tmp_path), kind="components").json()["id"] for _ in range(3)]
    run_jobs()
    assert order == ids
    assert [ImportJob.objects.get(pk=i).status for i in ids] == ["done"] * 3


# --- progress ---------------------------------------------------------------------------------------------


def test_progress_counts_every_row_read(city, tmp_path, imported, monkeypatch):
    calls: list[int] = []

    class Recording(progress_module.Progress):
        def __call__(self, rows: int) -> None:
            calls.append(rows)
            super().__call__(rows)

    monkeypatch.setattr(jobs, "Progress", Recording)
    path = write_table(tmp_path / "planted.csv", HEADER, PLANTED)
    detail = imported(city.clients["admin"], path, kind="components", crs="EPSG:4490")
    assert calls and sum(calls) == len(PLANTED)
    assert detail["status"] == "done", detail["failure"]
    # rejected rows were read too: progress counts rows read, not rows stored
    assert (detail["summary"]["inserted"], detail["summary"]["rejected"]) == (2, 10)
    assert detail["progress"] == {"rows_done": len(PLANTED), "rows_total": len(PLANTED)}


def test_a_job_whose_progress_connection_fails_still_runs(city, tmp_path, imported, monkeypatch, caplog):
    """E.g. the server's connection limit is reached: the worker's own connection works, a second one (for
    live progress) does not. The import runs without live progress instead of failing."""
    # a port nothing listens on: connecting fails at once, as "too many clients" would
    monkeypatch.setattr(progress_module, "conninfo", lambda: "host=127.0.0.1 port=1 connect_timeout=2")
    detail = imported(city.clients["admin"], census(tmp_path), kind="components")
    assert detail["status"] == "done", detail
    assert detail["progress"]["rows_done"] == len(CODES)
    assert "no live progress" in caplog.text


@pytest.fixture
def committed_job(db, superuser_conninfo):
    """An import job row committed by a connection of its own, which the live progress connection can see.

    The test's own rows are never committed (pytest-django's ``db`` rolls them back, and
    ``transactional_db`` cannot be used: the audit log refuses TRUNCATE), and a committed job needs a
    committed user, whose insert would leave committed audit entries behind. So the row is inserted with
    ``session_replication_role = replica`` (no foreign-key check; the cluster's superuser only) and
    deleted afterwards."""
    with psycopg.connect(progress_module.conninfo(), autocommit=True) as conn:
        # the live writer must reach the database the tests run on (never the development one)
        assert conn.info.dbname == connection.settings_dict["NAME"]
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            job_id = conn.execute(
                "INSERT INTO importers_importjob (kind, file_name, path, options, user_id, status, rows_done,"
                " created_at) VALUES ('components', 'live.csv', '/nonexistent/live.csv', '{}', -1, 'running', 0,"
                " now()) RETURNING id").fetchone()[0]
    try:
        yield job_id
    finally:
        with psycopg.connect(progress_module.conninfo(), autocommit=True) as conn:
            conn.execute("DELETE FROM importers_importjob WHERE id = %s", [job_id])


def test_live_progress_writes_rows_done_on_its_own_connection(committed_job, monkeypatch):
    def seen() -> int:
        return ImportJob.objects.filter(pk=committed_job).values_list("rows_done", flat=True).get()

    assert seen() == 0
    progress = progress_module.Progress(ImportJob(pk=committed_job), "rows_done")
    try:
        assert progress.conn is not None and progress.conn.autocommit
        progress(5)
        # committed at once by the other connection: visible inside the test's still-open transaction
        assert seen() == 5
        progress(7)
        assert progress.done == 12
        assert seen() == 5, "written again within PROGRESS_SECONDS"
        monkeypatch.setattr(progress_module, "PROGRESS_SECONDS", 0.0)
        progress(3)
        assert seen() == 15
    finally:
        progress.close()
    assert progress.conn.closed


# --- a worker that died -----------------------------------------------------------------------------------


def dead_worker_took(job: ImportJob) -> None:
    """What a worker killed mid-import leaves behind: its queue job ``doing``, owned by a worker whose
    last heartbeat is an hour old, and the record ``running``."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')"
                    " RETURNING id")
        worker = cur.fetchone()[0]
        cur.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                    [worker, job.queue_job])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.RUNNING)


def test_a_job_whose_worker_died_is_failed_with_the_reason_and_its_upload_deleted(city, tmp_path, uploads,
                                                                                   run_jobs):
    admin = city.clients["admin"]
    killed = ImportJob.objects.get(pk=upload(admin, census(tmp_path), kind="components").json()["id"])
    dead_worker_took(killed)
    waiting = ImportJob.objects.get(pk=upload(admin, census(tmp_path), kind="components").json()["id"])
    assert Path(killed.path).exists() and Path(waiting.path).exists()

    recover_stalled.defer(timestamp=int(time.time()))
    run_jobs(queues=["maintenance"])

    assert queue_row(killed).status == "failed"
    detail = admin.get(f"/api/imports/{killed.pk}/").json()
    assert detail["status"] == "failed" and detail["finished_at"]
    assert detail["failure"]["detail"] == recovery.STOPPED
    assert not Path(killed.path).exists() and not Path(killed.path).parent.exists()
    # the job still waiting for a worker is left alone, and runs
    assert ImportJob.objects.get(pk=waiting.pk).status == "queued" and Path(waiting.path).exists()
    run_jobs()
    assert ImportJob.objects.get(pk=waiting.pk).status == "done"
    # the failed job is not run again, though its upload's queue row were retried
    assert ImportJob.objects.get(pk=killed.pk).status == "failed"


def test_a_record_whose_queue_job_is_gone_is_failed(city, tmp_path, uploads):
    job = ImportJob.objects.get(pk=upload(city.clients["admin"], census(tmp_path), kind="components").json()["id"])
    ProcrastinateJob.objects.filter(pk=job.queue_job)._raw_delete(using="default")
    assert [r.pk for r in recovery.fail_abandoned()] == [job.pk]
    assert ImportJob.objects.get(pk=job.pk).status == "failed" and not Path(job.path).exists()
    assert recovery.fail_abandoned() == []


def test_the_sweep_deletes_old_uploads_no_unfinished_job_holds(city, tmp_path, uploads, settings):
    settings.GRIDCITY_UPLOAD_RETENTION_HOURS = 1
    job = ImportJob.objects.get(pk=upload(city.clients["admin"], census(tmp_path), kind="components").json()["id"])
    held = Path(job.path).parent
    stray, fresh = uploads / "stray", uploads / "fresh"
    for folder in (stray, fresh):
        folder.mkdir()
        (folder / "left.zip").write_bytes(b"x")
    old = time.time() - 2 * 3600
    for folder in (held, stray):
        os.utime(folder, (old, old))
    assert tasks._sweep() == 1
    assert sorted(p.name for p in uploads.iterdir()) == sorted([held.name, "fresh"])


# --- the command line -------------------------------------------------------------------------------------


def test_the_worker_command_runs_procrastinates_worker_on_its_own_connections(monkeypatch):
    """(The worker itself is not started here: on its own connections it could not see this test's rows.)"""
    from procrastinate.contrib.django import procrastinate_app
    from procrastinate.contrib.django.django_connector import DjangoConnector
    from procrastinate.psycopg_connector import PsycopgConnector

    app = procrastinate_app.current_app
    ran: list[tuple[object, dict]] = []
    monkeypatch.setattr(app, "run_worker", lambda **kwargs: ran.append((app.connector, kwargs)))
    assert gridcity_cli.main(["worker", "--once", "--queues", "imports,packages"]) == 0
    connector, kwargs = ran[0]
    assert isinstance(connector, PsycopgConnector)  # a pool of its own, with LISTEN/NOTIFY
    assert kwargs["wait"] is False and kwargs["queues"] == ["imports", "packages"] and kwargs["concurrency"] == 1
    assert isinstance(app.connector, DjangoConnector)  # the web process defers on Django's connection again
    assert gridcity_cli.parser().parse_args(["worker"]).once is False


def test_a_very_long_chinese_file_name_is_stored_under_a_short_one(city, tmp_path, uploads):
    """Django keeps 255 characters of a name; a file system takes 255 bytes (85 CJK characters)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = "部件普查" * 25 + ".gpkg"  # 100 characters, 305 bytes
    content = census(tmp_path).read_bytes()
    response = city.clients["admin"].post("/api/imports/", {"file": SimpleUploadedFile(name, content),
                                                            "kind": "components"}, format="multipart")
    body = response.json()
    assert response.status_code == 202 and body["file"] == name
    kept = Path(ImportJob.objects.get(pk=body["id"]).path)
    assert kept.name == "upload.gpkg" and kept.read_bytes() == content


def test_old_queue_rows_are_removed_the_records_stay(city, tmp_path, imported, run_jobs):
    from jobs.tasks import remove_old_queue_rows

    detail = imported(city.clients["admin"], census(tmp_path), kind="components")
    job = ImportJob.objects.get(pk=detail["id"])
    with connection.cursor() as cur:  # finished long ago, as the nightly task finds it
        cur.execute("UPDATE procrastinate_events SET at = now() - interval '30 days' WHERE job_id = %s",
                    [job.queue_job])
    remove_old_queue_rows.defer(timestamp=int(time.time()))
    run_jobs(queues=["maintenance"])
    assert not ProcrastinateJob.objects.filter(pk=job.queue_job).exists()
    assert city.clients["admin"].get(detail["url"]).json()["status"] == "done"
    assert recovery.fail_abandoned() == []  # a finished record is never failed for its queue row being gone
