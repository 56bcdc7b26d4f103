"""Evaluation-grid builds as queued jobs: :func:`submit` queues an :class:`EvaluationBuildJob` (one
unfinished build per area: asking again returns it), a worker runs :func:`run`
(``gridding.tasks.build_evaluation_grids``). Builds take one procrastinate lock, so two never
renumber the same streets at once."""

from __future__ import annotations

from django.db import transaction

from jobs import lifecycle
from jobs.progress import Progress
from jobs.records import JobRecord
from layers.access import Actor

from . import building
from .models import EvaluationBuildJob
from .scope import area_for, require_planner

LOCK = "gridding.evaluation-build"


def submit(user: Actor, area: str) -> EvaluationBuildJob:
    """Queue a build of ``area`` (already checked against the user), or return the one still waiting."""
    waiting = EvaluationBuildJob.objects.filter(area=area, status__in=JobRecord.UNFINISHED).first()
    if waiting is not None:
        return waiting
    from .tasks import build_evaluation_grids

    with transaction.atomic():
        job = EvaluationBuildJob.objects.create(user=user, area=area)
        job.queue_job = build_evaluation_grids.configure(lock=LOCK).defer(build_id=job.pk)
        job.save(update_fields=["queue_job"])
    return job


def run(build_id: int) -> EvaluationBuildJob | None:
    return lifecycle.run(EvaluationBuildJob, build_id, _build)


def _build(job: EvaluationBuildJob) -> None:
    # checked again as the user is now: a role or jurisdiction may have changed while it waited
    require_planner(job.user)
    area = area_for(job.user, job.area or None, lengths=(6, 9))
    progress = Progress(job, "steps_done")
    try:
        with transaction.atomic():  # a worker killed mid-build leaves the grids as they were
            report = building.build(area, job.user, progress=progress)
    finally:
        progress.close()
        job.steps_done = progress.done
    job.report = report.as_json()
