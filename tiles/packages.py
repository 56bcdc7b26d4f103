"""Offline packages over HTTP for logged-in mobile clients (token or session).

``POST /api/offline-packages/`` with ``{"area", "layers", "zooms"}`` queues a build (202 with the
build's URL; a worker builds it, never the request); ``GET /api/offline-packages/builds/{id}/`` shows
its state and progress and, once done, links ``…/builds/{id}/package.mbtiles`` — the MBTiles file,
kept for ``GRIDCITY_PACKAGE_RETENTION_HOURS``. ``GET /api/offline-packages/{area}/version?layers=…``
tells a client the current data version, to compare with the ``gridcity_data_version`` in the
metadata of the package it holds.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.errors import JobNotReady
from layers.errors import BadParameter
from layers.roles import ADMIN

from . import builds, mbtiles
from .errors import BuildNotFound
from .models import PackageBuild

PARAMS = [OpenApiParameter("layers", str, description="comma-separated layer names")]


def _layers(raw: object) -> str:
    if not raw or not isinstance(raw, str):
        raise BadParameter("layers is required, e.g. layers=unit_grids,components", field="layers", rule="required")
    return raw


def describe(build: PackageBuild) -> dict[str, object]:
    url = f"/api/offline-packages/builds/{build.pk}/"
    body: dict[str, object] = {
        "id": build.pk, "area": build.area, "layers": build.layers.split(","),
        "zooms": f"{build.min_zoom}-{build.max_zoom}", "status": build.status,
        "progress": {"tiles_done": build.tiles_done, "tiles_total": build.tiles_total},
        "tiles_written": build.tiles_written, "data_version": build.data_version or None, "failure": build.error,
        "created_at": build.created_at, "started_at": build.started_at, "finished_at": build.finished_at, "url": url}
    if build.status == PackageBuild.DONE:
        body["download"] = url + "package.mbtiles"
    return body


def _build(request: Request, pk: int) -> PackageBuild:
    rows = PackageBuild.objects.all() if request.user.role == ADMIN else PackageBuild.objects.filter(user=request.user)
    found = rows.filter(pk=pk).first()
    if found is None:
        raise BuildNotFound(f"no package build {pk} of yours (built packages are kept "
                            f"{settings.GRIDCITY_PACKAGE_RETENTION_HOURS:g} hours)", field="id")
    return found


class PackageBuilds(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        """Queue the package of ``area`` (a street or community of yours) with ``layers`` at ``zooms``."""
        data = request.data if isinstance(request.data, dict) else {}
        zooms = mbtiles.parse_zooms(str(data.get("zooms") or settings.GRIDCITY_PACKAGE_ZOOMS))
        build = builds.submit(request.user, str(data.get("area") or ""), _layers(data.get("layers")), zooms)
        return Response(describe(build), status=202)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """Your package builds (an admin sees everyone's), newest first."""
        rows = PackageBuild.objects.all() if request.user.role == ADMIN else PackageBuild.objects.filter(
            user=request.user)
        return Response({"builds": [describe(b) for b in rows[:50]]})


class PackageBuildDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(describe(_build(request, pk)))


class PackageDownload(APIView):
    @extend_schema(responses={(200, "application/vnd.sqlite3"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        build = _build(request, pk)
        if build.status != PackageBuild.DONE or not Path(build.path).is_file():
            raise JobNotReady(f"package build {pk} is {build.status}; download it once it is done", field="id")
        response = FileResponse(Path(build.path).open("rb"), content_type="application/vnd.sqlite3",
                                as_attachment=True, filename=f"gridcity-{build.area}.mbtiles")
        response["X-Gridcity-Data-Version"] = build.data_version
        return response


class OfflinePackageVersion(APIView):
    @extend_schema(parameters=PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, area: str) -> Response:
        plan = mbtiles.plan(area, _layers(request.query_params.get("layers")), (0, 0), request.user)
        return Response({"area": area, "layers": plan.names, "data_version": mbtiles.data_version(plan.names)})
