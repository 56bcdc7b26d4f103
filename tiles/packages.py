"""Offline packages over HTTP for logged-in mobile clients (token or session).

``GET /api/offline-packages/{area}.mbtiles?layers=…&zooms=12-16`` returns the MBTiles file,
built on first request and kept under ``GRIDCITY_PACKAGE_DIR`` until the layers' data change;
``GET /api/offline-packages/{area}/version?layers=…`` tells a client the current data version, to
compare with the ``gridcity_data_version`` in the metadata of the package it holds.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.errors import BadParameter

from . import mbtiles

PARAMS = [OpenApiParameter("layers", str, description="comma-separated layer names"),
          OpenApiParameter("zooms", str, description="e.g. 12-16")]


def _layers(request: Request) -> str:
    raw = request.query_params.get("layers")
    if not raw:
        raise BadParameter("layers is required, e.g. layers=unit_grids,components", field="layers", rule="required")
    return raw


class OfflinePackage(APIView):
    @extend_schema(parameters=PARAMS, responses={(200, "application/vnd.sqlite3"): OpenApiTypes.BINARY})
    def get(self, request: Request, area: str) -> FileResponse:
        zooms = mbtiles.parse_zooms(request.query_params.get("zooms", settings.GRIDCITY_PACKAGE_ZOOMS))
        plan = mbtiles.plan(area, _layers(request), zooms, request.user, settings.GRIDCITY_PACKAGE_MAX_TILES)
        version = mbtiles.data_version(plan.names)
        key = hashlib.sha1(repr((plan.area, plan.names, zooms, request.user.jurisdiction_code, version))
                           .encode()).hexdigest()
        folder = Path(settings.GRIDCITY_PACKAGE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{area}-{key[:16]}.mbtiles"
        if not path.exists():
            mbtiles.export(plan, path, request.user)
        response = FileResponse(path.open("rb"), content_type="application/vnd.sqlite3", as_attachment=True,
                                filename=f"gridcity-{area}.mbtiles")
        response["X-Gridcity-Data-Version"] = version
        return response


class OfflinePackageVersion(APIView):
    @extend_schema(parameters=PARAMS[:1], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, area: str) -> Response:
        plan = mbtiles.plan(area, _layers(request), (0, 0), request.user)
        return Response({"area": area, "layers": plan.names, "data_version": mbtiles.data_version(plan.names)})
