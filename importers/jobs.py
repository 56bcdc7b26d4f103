"""Imports as queued jobs: :func:`submit` queues an upload's :class:`ImportJob` on procrastinate
(``importers.tasks.import_file``) and a worker process runs :func:`run`: ``importers.load`` as the
user who uploaded, its summary and error report stored on the record, the upload deleted."""

from __future__ import annotations

from pathlib import Path

from jobs import lifecycle
from jobs.progress import Progress

from . import load, report
from .models import ImportJob


def submit(job: ImportJob) -> None:
    """Queue ``job`` (in the caller's transaction: the job and its queue entry commit together)."""
    from .tasks import import_file

    job.queue_job = import_file.defer(job_id=job.pk)
    job.save(update_fields=["queue_job"])


def run(job_id: int) -> ImportJob | None:
    """Run the queued import ``job_id`` (in a worker) and store its outcome on the record."""
    return lifecycle.run(ImportJob, job_id, _import)


def _import(job: ImportJob) -> None:
    options = load.Options(**{k: v for k, v in job.options.items() if k in load.Options.__dataclass_fields__},
                           qa_run=f"import-{job.id}")
    progress = Progress(job, "rows_done")
    try:
        result = load.run(job.kind, Path(job.path), job.user, options, progress=progress)
    finally:
        progress.close()
        job.rows_done = progress.done
        job.abandoned()
    body = report.as_json(result)
    job.summary, job.report = {**result.summary(), "qa": body.get("qa")}, body["errors"]
    job.rows_total = result.rows
