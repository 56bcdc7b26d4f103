"""Offline packages as queued jobs: :func:`submit` checks a request (role, jurisdiction, size, the
user's unfinished builds) and queues a :class:`PackageBuild`; a worker runs :func:`run`
(``tiles.tasks.build_package``) — the MBTiles file written by :func:`tiles.mbtiles.export` — and
:func:`expire` deletes built packages after ``GRIDCITY_PACKAGE_RETENTION_HOURS``.

Builds share ``GRIDCITY_PACKAGE_BUILDS_AT_ONCE`` procrastinate locks (a build takes lock ``id mod
N``), so at most that many run at once however many workers there are.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs import lifecycle
from jobs.errors import TooManyJobs
from jobs.progress import Progress
from jobs.records import JobRecord
from layers.access import Actor
from layers.errors import NotAllowed

from . import mbtiles
from .models import PackageBuild


def lock(build: PackageBuild) -> str:
    return f"offline-package-build-{build.pk % max(settings.GRIDCITY_PACKAGE_BUILDS_AT_ONCE, 1)}"


def submit(user: Actor, area: str, layers: str, zooms: tuple[int, int]) -> PackageBuild:
    """Queue a package build for ``user`` once the request is known to be allowed and not too large."""
    if user.role not in settings.GRIDCITY_PACKAGE_ROLES:
        raise NotAllowed(f"the role {user.role} may not build offline packages (roles that may: "
                         f"{', '.join(settings.GRIDCITY_PACKAGE_ROLES)})", field="role")
    plan = mbtiles.plan(area, layers, zooms, user, settings.GRIDCITY_PACKAGE_MAX_TILES)
    limit = settings.GRIDCITY_JOBS_PER_USER
    if PackageBuild.objects.filter(user=user, status__in=JobRecord.UNFINISHED).count() >= limit:
        raise TooManyJobs(f"you have {limit} package builds waiting or running; wait for one to finish",
                          field="area")
    from .tasks import build_package

    with transaction.atomic():
        build = PackageBuild.objects.create(user=user, area=plan.area, layers=",".join(plan.names),
                                            min_zoom=zooms[0], max_zoom=zooms[1], tiles_total=len(plan.tiles))
        build.queue_job = build_package.configure(lock=lock(build)).defer(build_id=build.pk)
        build.save(update_fields=["queue_job"])
    return build


def run(build_id: int) -> PackageBuild | None:
    return lifecycle.run(PackageBuild, build_id, _build)


def _build(build: PackageBuild) -> None:
    # checked again as the user is now: a jurisdiction or role may have changed while it waited
    plan = mbtiles.plan(build.area, build.layers, (build.min_zoom, build.max_zoom), build.user)
    folder = Path(settings.GRIDCITY_PACKAGE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{build.area}-{build.pk}.mbtiles"
    progress = Progress(build, "tiles_done")
    try:
        package = mbtiles.export(plan, path, build.user, progress=progress)
    finally:
        progress.close()
        build.tiles_done = progress.done
    build.path, build.tiles_written, build.data_version = str(path), package.tiles, package.data_version


def expire() -> int:
    """Delete the builds finished more than the retention ago with their files, and any other file in
    the package folder as old (the parts of killed builds); how many builds were deleted."""
    hours = settings.GRIDCITY_PACKAGE_RETENTION_HOURS
    old = PackageBuild.objects.filter(finished_at__lt=timezone.now() - timedelta(hours=hours))
    for path in old.exclude(path="").values_list("path", flat=True):
        Path(path).unlink(missing_ok=True)
    deleted, _ = old.delete()
    folder = Path(settings.GRIDCITY_PACKAGE_DIR)
    if folder.is_dir():
        kept = set(PackageBuild.objects.exclude(path="").values_list("path", flat=True))
        cutoff = time.time() - hours * 3600
        for stray in folder.iterdir():
            if stray.is_file() and str(stray) not in kept and stray.stat().st_mtime < cutoff:
                stray.unlink(missing_ok=True)
    return deleted
