"""The queue's own upkeep: every minute, the jobs of workers that stopped sending their heartbeat
(killed, out of memory, machine lost) are failed in procrastinate, then their records
(:mod:`jobs.recovery`); every night, procrastinate's rows of jobs finished more than
``GRIDCITY_QUEUE_RETENTION_HOURS`` ago are deleted (the records keep what the API shows)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from procrastinate import JobContext, builtin_tasks
from procrastinate.contrib.django import app
from procrastinate.jobs import Status

from . import recovery


@app.periodic(cron="* * * * *", periodic_id="jobs.recover_stalled")
@app.task(name="jobs.recover_stalled", queue="maintenance", queueing_lock="jobs.recover_stalled", pass_context=True)
async def recover_stalled(context: JobContext, timestamp: int) -> int:
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=settings.GRIDCITY_STALLED_SECONDS):
        assert job.id is not None
        await manager.finish_job_by_id_async(job_id=job.id, status=Status.FAILED, delete_job=False)
    return len(await sync_to_async(recovery.fail_abandoned)())


@app.periodic(cron="23 3 * * *", periodic_id="jobs.remove_old_queue_rows")
@app.task(name="jobs.remove_old_queue_rows", queue="maintenance", queueing_lock="jobs.remove_old_queue_rows",
          pass_context=True)
async def remove_old_queue_rows(context: JobContext, timestamp: int) -> None:
    await builtin_tasks.remove_old_jobs(context, max_hours=settings.GRIDCITY_QUEUE_RETENTION_HOURS,
                                        remove_failed=True, remove_cancelled=True, remove_aborted=True)
