"""One job's life in a worker: its record marked running, the work done, the outcome or the failure
stored — whatever happens, the record never stays ``running`` after the work returns or raises."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.utils import timezone

from layers.errors import GridcityError

from .records import JobRecord

log = logging.getLogger(__name__)
R = TypeVar("R", bound=JobRecord)


def internal_failure(what: str) -> dict[str, object]:
    """The error body of a job that failed for a reason the user cannot fix."""
    return {"detail": what, "errors": [{"field": None, "rule": "internal", "message": what}]}


def run(model: type[R], pk: int, work: Callable[[R], None]) -> R | None:
    """Run ``work`` on the record ``pk`` of ``model`` unless it is gone or already finished (a record
    the stalled-job recovery failed is not run again). ``work`` stores its outcome on the record; a
    project error becomes the record's error as the API would answer it, any other exception an
    internal failure naming it."""
    record = model.objects.filter(pk=pk).first()
    if record is None or record.status not in JobRecord.UNFINISHED:
        return record
    record.status, record.started_at = JobRecord.RUNNING, timezone.now()
    record.save(update_fields=["status", "started_at"])
    try:
        work(record)
    except GridcityError as exc:
        record.status, record.error = JobRecord.FAILED, exc.as_json()
    except Exception as exc:  # a bug or a lost database: the record must not stay "running"
        log.exception("%s %s failed", model._meta.model_name, pk)
        record.status = JobRecord.FAILED
        record.error = internal_failure(f"the job failed unexpectedly ({exc.__class__.__name__}: {exc})")
    else:
        record.status = JobRecord.DONE
    record.finished_at = timezone.now()
    record.save()
    return record
