"""The tiles package's procrastinate tasks: an offline package's build, and the hourly deletion of
built packages past their retention (see ``tiles.builds``; why coroutines: ``importers.tasks``)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from procrastinate.contrib.django import app

from . import builds


@app.task(name="tiles.build_package", queue="packages")
async def build_package(build_id: int) -> None:
    await sync_to_async(builds.run)(build_id)


@app.periodic(cron="7 * * * *", periodic_id="tiles.expire_packages")
@app.task(name="tiles.expire_packages", queue="maintenance", queueing_lock="tiles.expire_packages")
async def expire_packages(timestamp: int) -> int:
    return await sync_to_async(builds.expire)()
