"""Running queued imports: claim a job, run ``importers.load``, store the outcome.

Runners (``GRIDCITY_IMPORT_RUNNER``): ``thread`` (default; after the upload commits, a daemon
thread of the web process drains the queue), ``worker`` (only ``gridcity import-worker``
processes run jobs — the deployment setting), ``inline`` (the request runs the job; tests).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from psycopg.conninfo import make_conninfo

from layers.errors import GridcityError

from . import load, report
from .models import ImportJob

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
PROGRESS_SECONDS = 1.0


def runner() -> str:
    return getattr(settings, "GRIDCITY_IMPORT_RUNNER", os.environ.get("GRIDCITY_IMPORT_RUNNER", "thread"))


def submit(job: ImportJob) -> None:
    """Start the job as the configured runner says (after the upload's transaction commits)."""
    mode = runner()
    if mode == "inline":
        run(job)
    elif mode == "thread":
        transaction.on_commit(lambda: threading.Thread(target=_drain, daemon=True, name="gridcity-import").start())


def _drain() -> None:
    try:
        work(once=True)
    finally:
        connection.close()


def claim() -> ImportJob | None:
    """The oldest queued job, marked running; ``None`` when the queue is empty."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(skip_locked=True).filter(status=ImportJob.QUEUED).order_by(
            "id").first()
        if job is not None:
            job.status, job.started_at = ImportJob.RUNNING, timezone.now()
            job.save(update_fields=["status", "started_at"])
    return job


def work(once: bool = False) -> int:
    """Run queued jobs; with ``once``, stop when the queue is empty."""
    while True:
        close_old_connections()
        job = claim()
        if job is None:
            if once:
                return 0
            time.sleep(POLL_SECONDS)
            continue
        run(job)


class _Progress:
    """Writes rows read so far to the job row on its own autocommit connection, at most once a second."""

    def __init__(self, job: ImportJob, live: bool):
        self.job, self.done, self.last = job, 0, 0.0
        self.conn = None
        if live:
            try:
                self.conn = psycopg.connect(_conninfo(), autocommit=True)
            except psycopg.Error as exc:  # e.g. no connection slot left: import anyway, progress shows at the end
                log.warning("import %s: no live progress (%s)", job.id, exc)

    def __call__(self, rows: int) -> None:
        self.done += rows
        if self.conn is not None and time.monotonic() - self.last > PROGRESS_SECONDS:
            self.conn.execute("UPDATE importers_importjob SET rows_done = %s WHERE id = %s", [self.done, self.job.id])
            self.last = time.monotonic()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _conninfo() -> str:
    """The default database's connection string (the settings' values, quoted by psycopg)."""
    db = settings.DATABASES["default"]
    return make_conninfo(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                         port=db["PORT"])


def _discard(upload: Path) -> None:
    """Delete an uploaded file and the folder of its own it was stored in (``views._save``)."""
    upload.unlink(missing_ok=True)
    try:
        upload.parent.rmdir()
    except OSError:  # not empty, or already gone
        pass


def run(job: ImportJob) -> ImportJob:
    """Run one job and store its summary and error report (or why it failed)."""
    options = load.Options(**{k: v for k, v in job.options.items() if k in load.Options.__dataclass_fields__},
                           qa_run=f"import-{job.id}")
    progress = _Progress(job, live=runner() != "inline")
    try:
        result = load.run(job.kind, Path(job.path), job.user, options, progress=progress)
    except GridcityError as exc:
        job.status, job.error = ImportJob.FAILED, exc.as_json()
    except Exception as exc:  # a bug or a lost database: the job must not stay "running"
        message = f"the import failed unexpectedly ({exc.__class__.__name__}: {exc}); nothing was written"
        job.status, job.error = ImportJob.FAILED, {"detail": message, "errors": [
            {"field": None, "rule": "internal", "message": message}]}
    else:
        body = report.as_json(result)
        job.status, job.summary, job.report = ImportJob.DONE, {**result.summary(), "qa": body.get("qa")}, body["errors"]
        job.rows_total = result.rows
    finally:
        progress.close()
        _discard(Path(job.path))
        if options.mapping:
            _discard(Path(options.mapping))
    job.rows_done, job.finished_at = progress.done, timezone.now()
    job.save()
    return job
