"""Jobs whose worker died: procrastinate fails the queue jobs of workers that stopped sending their
heartbeat (``jobs.tasks.recover_stalled``); here, every unfinished record whose queue job is no longer
waiting or running is failed with the reason, and cleaned up after (``JobRecord.abandoned``)."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from . import lifecycle
from .records import JobRecord

STOPPED = ("the worker running this job stopped before it finished (it was killed or crashed); "
           "nothing it was doing was kept — submit it again")


def record_models() -> list[type[JobRecord]]:
    """Every concrete job record model of the installed apps."""
    return [m for m in apps.get_models() if issubclass(m, JobRecord)]


def fail_abandoned() -> list[JobRecord]:
    """Fail the unfinished records whose queue job is gone or finished without them; the failed ones."""
    live = ProcrastinateJob.objects.filter(status__in=["todo", "doing"]).values("id")
    failed: list[JobRecord] = []
    for model in record_models():
        for record in model.objects.filter(status__in=JobRecord.UNFINISHED).exclude(queue_job__in=live):
            record.status, record.error = JobRecord.FAILED, lifecycle.internal_failure(STOPPED)
            record.finished_at = timezone.now()
            record.save(update_fields=["status", "error", "finished_at"])
            record.abandoned()
            failed.append(record)
    return failed
