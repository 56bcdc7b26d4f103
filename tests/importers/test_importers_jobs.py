"""The import job runners (importers/jobs.py): the ``worker`` runner queues and ``gridcity import-worker``
runs; jobs are claimed oldest first; progress counts the rows read and is written live on a connection of
its own; the ``thread`` runner waits for the upload to commit; the command line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection
from import_files import EXPECTED_GRID, SAMPLE, frame, upload
from import_files import write_csv as write_table
from test_importers_components import HEADER, PLANTED

from audit.models import AuditEntry
from gridcity import cli as gridcity_cli
from importers import cli, jobs
from importers.models import ImportJob
from layers.models import Component

CODES = [row[0] for row in SAMPLE]


@pytest.fixture
def keep_test_connection(monkeypatch) -> None:
    """``work()`` begins each round with ``close_old_connections()``, which closes a connection left inside a
    transaction: in a worker process there is none, but here it is the test's own (pytest-django's ``db``),
    so that one call is left out. Everything else runs as in ``gridcity import-worker``."""
    monkeypatch.setattr(jobs, "close_old_connections", lambda: None)


def census(tmp_path: Path) -> Path:
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    return path


def queued(user, name: str, status: str = ImportJob.QUEUED, **values) -> ImportJob:
    values.setdefault("path", f"/nonexistent/{name}")
    return ImportJob.objects.create(kind="components", file_name=name, user=user, status=status, **values)


# --- the worker runner ------------------------------------------------------------------------------------


def test_worker_runner_queues_and_work_runs_the_job(city, tmp_path, settings, uploads, keep_test_connection,
                                                    django_capture_on_commit_callbacks, monkeypatch):
    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    path = census(tmp_path)
    admin = city.clients["admin"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(admin, path, kind="components")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["progress"] == {"rows_done": 0, "rows_total": None}
    assert body["summary"] is None and body["started_at"] is None and body["finished_at"] is None
    assert callbacks == []  # nothing in the web process will run it
    assert not Component.objects.filter(code__in=CODES).exists()
    job = ImportJob.objects.get(pk=body["id"])
    kept = Path(job.path)
    assert kept.parent.parent == uploads and kept.name == path.name and kept.read_bytes() == path.read_bytes()

    assert jobs.work(once=True) == 0

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

    # A second round finds nothing to claim and runs nothing.
    ran = []
    monkeypatch.setattr(jobs, "run", ran.append)
    assert jobs.work(once=True) == 0
    assert ran == []
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.DONE


def test_worker_job_with_an_unreadable_file_fails_and_stores_nothing(city, tmp_path, settings, uploads,
                                                                      keep_test_connection):
    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    path = tmp_path / "census.zip"
    path.write_bytes(b"PK\x03\x04 but the rest of the archive is missing")
    before = set(Component.objects.values_list("code", "updated_at"))
    body = upload(city.clients["admin"], path, kind="components").json()
    assert body["status"] == "queued"

    assert jobs.work(once=True) == 0

    detail = city.clients["admin"].get(body["url"]).json()
    assert detail["status"] == "failed", detail
    failure = detail["failure"]
    assert failure["errors"][0]["rule"] == "readable_zip" and failure["errors"][0]["field"] == "file"
    assert "is not a readable zip archive" in failure["detail"]
    assert detail["summary"] is None and detail["progress"]["rows_done"] == 0
    assert detail["finished_at"]
    assert set(Component.objects.values_list("code", "updated_at")) == before
    assert list(uploads.iterdir()) == []


def test_failure_message_names_the_uploaded_file(city, tmp_path, settings, uploads, keep_test_connection):
    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    path = tmp_path / "census.zip"
    path.write_bytes(b"not a zip at all")
    body = upload(city.clients["admin"], path, kind="components").json()
    jobs.work(once=True)
    failure = city.clients["admin"].get(body["url"]).json()["failure"]
    assert failure["detail"].startswith("census.zip "), failure["detail"]


def test_a_job_whose_progress_connection_fails_still_runs(city, tmp_path, settings, uploads,
                                                          keep_test_connection, monkeypatch, caplog):
    """E.g. the server's connection limit is reached: the worker's own connection works, a second one (for
    live progress) does not. The import runs without live progress instead of leaving the job "running"."""
    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    body = upload(city.clients["admin"], census(tmp_path), kind="components").json()
    # a port nothing listens on: connecting fails at once, as "too many clients" would
    monkeypatch.setattr(jobs, "_conninfo", lambda: "host=127.0.0.1 port=1 connect_timeout=2")
    jobs.work(once=True)
    job = ImportJob.objects.get(pk=body["id"])
    assert job.status == ImportJob.DONE, job.status
    assert job.rows_done == len(CODES)
    assert "no live progress" in caplog.text
    assert not Path(job.path).exists()


def test_import_worker_command_runs_what_is_queued(city, tmp_path, settings, uploads, keep_test_connection):
    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    body = upload(city.clients["admin"], census(tmp_path), kind="components").json()
    args = gridcity_cli.parser().parse_args(["import-worker", "--once"])
    assert args.func is cli.cmd_worker and args.once is True
    assert gridcity_cli.parser().parse_args(["import-worker"]).once is False
    assert gridcity_cli.main(["import-worker", "--once"]) == 0
    assert ImportJob.objects.get(pk=body["id"]).status == ImportJob.DONE
    assert Component.objects.filter(code__in=CODES).count() == len(CODES)


# --- claiming ---------------------------------------------------------------------------------------------


def test_claim_takes_the_oldest_queued_job_and_marks_it_running(city):
    admin = city.users["admin"]
    finished = queued(admin, "done.csv", ImportJob.DONE)
    failed = queued(admin, "failed.csv", ImportJob.FAILED)
    first, second = queued(admin, "a.csv"), queued(admin, "b.csv")
    assert first.pk < second.pk

    claimed = jobs.claim()
    assert claimed is not None and claimed.pk == first.pk
    assert claimed.status == ImportJob.RUNNING and claimed.started_at is not None
    stored = {j.pk: j.status for j in ImportJob.objects.all()}
    assert stored == {finished.pk: ImportJob.DONE, failed.pk: ImportJob.FAILED, first.pk: ImportJob.RUNNING,
                      second.pk: ImportJob.QUEUED}
    assert ImportJob.objects.get(pk=first.pk).started_at == claimed.started_at

    again = jobs.claim()
    assert again is not None and again.pk == second.pk
    assert ImportJob.objects.get(pk=second.pk).status == ImportJob.RUNNING
    assert jobs.claim() is None  # running, done and failed jobs are never claimed


def test_work_runs_every_queued_job_in_id_order(city, tmp_path, keep_test_connection, monkeypatch):
    admin = city.users["admin"]
    ids = [queued(admin, f"{n}.gpkg").pk for n in ("a", "b", "c")]
    order = []

    def record(job: ImportJob) -> ImportJob:
        order.append((job.pk, ImportJob.objects.get(pk=job.pk).status))
        job.status = ImportJob.DONE
        job.save(update_fields=["status"])
        return job

    monkeypatch.setattr(jobs, "run", record)
    assert jobs.work(once=True) == 0
    assert order == [(pk, ImportJob.RUNNING) for pk in ids]


# --- progress ---------------------------------------------------------------------------------------------


def test_run_reports_every_row_read_as_progress(city, tmp_path, settings, monkeypatch):
    settings.GRIDCITY_IMPORT_RUNNER = "inline"
    calls: list[int] = []

    class Recording(jobs._Progress):
        def __call__(self, rows: int) -> None:
            calls.append(rows)
            super().__call__(rows)

    monkeypatch.setattr(jobs, "_Progress", Recording)
    path = write_table(tmp_path / "planted.csv", HEADER, PLANTED)
    job = queued(city.users["admin"], "planted.csv", path=str(path), options={"crs": "EPSG:4490"})

    jobs.run(job)

    assert calls and sum(calls) == len(PLANTED)
    stored = ImportJob.objects.get(pk=job.pk)
    assert stored.status == ImportJob.DONE, stored.error
    # rejected rows were read too: progress counts rows read, not rows stored
    assert (stored.summary["inserted"], stored.summary["rejected"]) == (2, 10)
    assert stored.rows_done == stored.rows_total == len(PLANTED)
    assert not path.exists()


def test_inline_runner_writes_no_live_progress():
    progress = jobs._Progress(ImportJob(pk=1), live=False)
    progress(4)
    progress(6)
    assert progress.conn is None and progress.done == 10
    progress.close()


@pytest.fixture
def committed_job(db, superuser_conninfo):
    """An import job row committed by a connection of its own, which the live progress connection can see.

    The test's own rows are never committed (pytest-django's ``db`` rolls them back, and
    ``transactional_db`` cannot be used: the audit log refuses TRUNCATE), and a committed job needs a
    committed user, whose insert would leave committed audit entries behind. So the row is inserted with
    ``session_replication_role = replica`` (no foreign-key check; the cluster's superuser only) and
    deleted afterwards."""
    with psycopg.connect(jobs._conninfo(), autocommit=True) as conn:
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
        with psycopg.connect(jobs._conninfo(), autocommit=True) as conn:
            conn.execute("DELETE FROM importers_importjob WHERE id = %s", [job_id])


def test_live_progress_writes_rows_done_on_its_own_connection(committed_job, monkeypatch):
    def seen() -> int:
        return ImportJob.objects.filter(pk=committed_job).values_list("rows_done", flat=True).get()

    assert seen() == 0
    progress = jobs._Progress(ImportJob(pk=committed_job), live=True)
    try:
        assert progress.conn is not None and progress.conn.autocommit
        progress(5)
        # committed at once by the other connection: visible inside the test's still-open transaction
        assert seen() == 5
        progress(7)
        assert progress.done == 12
        assert seen() == 5, "written again within PROGRESS_SECONDS"
        monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.0)
        progress(3)
        assert seen() == 15
    finally:
        progress.close()
    assert progress.conn.closed


# --- the thread runner ------------------------------------------------------------------------------------


def test_thread_runner_drains_the_queue_only_after_the_upload_commits(city, tmp_path, settings, uploads,
                                                                        keep_test_connection, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    settings.GRIDCITY_IMPORT_RUNNER = "thread"
    started: list[SimpleNamespace] = []

    def thread(**kwargs: object) -> SimpleNamespace:
        # Recorded, not started: a real thread has a connection of its own, which cannot see this
        # test's uncommitted job.
        t = SimpleNamespace(**kwargs)
        t.start = lambda: started.append(t)
        return t

    monkeypatch.setattr(jobs, "threading", SimpleNamespace(Thread=thread))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        body = upload(city.clients["admin"], census(tmp_path), kind="components").json()
        assert body["status"] == "queued"
    assert len(callbacks) == 1 and started == []  # nothing starts before the commit

    callbacks[0]()
    assert [(t.target, t.daemon) for t in started] == [(jobs._drain, True)]

    # What the thread runs: the queue, then its connection is closed (the test's own is kept open here).
    closed: list[bool] = []
    monkeypatch.setattr(jobs, "connection", SimpleNamespace(close=lambda: closed.append(True)))
    started[0].target()
    assert closed == [True]
    job = ImportJob.objects.get(pk=body["id"])
    assert job.status == ImportJob.DONE and job.rows_done == len(SAMPLE)
    assert Component.objects.filter(code__in=CODES).count() == len(CODES)


def test_drain_closes_its_connection_even_when_a_job_breaks(city, keep_test_connection, monkeypatch):
    queued(city.users["admin"], "a.gpkg")
    closed: list[bool] = []
    monkeypatch.setattr(jobs, "connection", SimpleNamespace(close=lambda: closed.append(True)))

    def explode(job: ImportJob) -> ImportJob:
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "run", explode)
    with pytest.raises(RuntimeError):
        jobs._drain()
    assert closed == [True]


def test_a_very_long_chinese_file_name_is_stored_under_a_short_one(city, tmp_path, settings, uploads):
    """Django keeps 255 characters of a name; a file system takes 255 bytes (85 CJK characters)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GRIDCITY_IMPORT_RUNNER = "worker"
    name = "部件普查" * 25 + ".gpkg"  # 100 characters, 305 bytes
    content = census(tmp_path).read_bytes()
    response = city.clients["admin"].post("/api/imports/", {"file": SimpleUploadedFile(name, content),
                                                            "kind": "components"}, format="multipart")
    body = response.json()
    assert response.status_code == 202 and body["file"] == name
    kept = Path(ImportJob.objects.get(pk=body["id"]).path)
    assert kept.name == "upload.gpkg" and kept.read_bytes() == content
