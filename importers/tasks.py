"""The importers' procrastinate tasks (found by procrastinate's Django autodiscovery of ``tasks``
modules): an uploaded file's import, and the hourly sweep of uploads no unfinished job holds.

Each task is a coroutine handing its Django work to ``sync_to_async`` (thread-sensitive): in a worker
process that is the one thread Django's work runs in; a test running the worker under
``async_to_sync`` gets it in the test's own thread, on the test's transaction.
"""

from __future__ import annotations

from pathlib import Path

from asgiref.sync import sync_to_async
from procrastinate.contrib.django import app

from jobs.records import JobRecord

from . import jobs, uploads
from .models import ImportJob

QUEUE = "imports"


@app.task(name="importers.import_file", queue=QUEUE)
async def import_file(job_id: int) -> None:
    await sync_to_async(jobs.run)(job_id)


def _sweep() -> int:
    unfinished = ImportJob.objects.filter(status__in=JobRecord.UNFINISHED).values_list("path", "options")
    keep = {Path(p) for path, options in unfinished for p in (path, options.get("mapping")) if p}
    return uploads.sweep(keep)


@app.periodic(cron="17 * * * *", periodic_id="importers.sweep_uploads")
@app.task(name="importers.sweep_uploads", queue="maintenance", queueing_lock="importers.sweep_uploads")
async def sweep_uploads(timestamp: int) -> int:
    return await sync_to_async(_sweep)()
