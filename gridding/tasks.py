"""The gridding package's procrastinate task: an evaluation-grid build (see ``gridding.jobs``; why a
coroutine: ``importers.tasks``)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from procrastinate.contrib.django import app

from . import jobs


@app.task(name="gridding.build_evaluation_grids", queue="gridding")
async def build_evaluation_grids(build_id: int) -> None:
    await sync_to_async(jobs.run)(build_id)
