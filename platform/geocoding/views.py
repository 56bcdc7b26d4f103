"""``GET /api/geocode/?q=…&crs=&limit=&area=`` and ``GET /api/geocode/reverse/?lon=&lat=&crs=``.

Login is required (session or token); the user's role must read the geocoding layers and their
jurisdiction bounds what is found. Bad input is a 400 naming the parameter (``q``, ``lon``,
``lat``, ``crs``, ``limit``, ``area``), raised as geocoding errors and turned into JSON in one
place (``gridcity.http_errors``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.access import jurisdiction_geom

from . import coords, forward, lookup, reverse
from .errors import BadLimit, UnknownArea
from .serialize import forward_json, reverse_json


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return forward.DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= forward.MAX_LIMIT:
        raise BadLimit(f"limit must be an integer 1–{forward.MAX_LIMIT}, got {raw[:20]!r}", field="limit")
    return int(raw)


def parse_area(raw: str | None) -> str:
    """A district (6), street (9) or community (12) code that exists, or ''."""
    if raw is None or raw == "":
        return ""
    if not raw.isdigit() or len(raw) not in (6, 9, 12) or jurisdiction_geom(raw) is None:
        raise UnknownArea(f"area {raw[:20]!r} is no district, street or community code of the platform",
                          field="area")
    return raw


class Geocode(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="location description, e.g. 永安路18号东侧50米"),
            OpenApiParameter("crs", str, description="output CRS: EPSG:4490 (default), EPSG:4326, gcj02, bd09"),
            OpenApiParameter("limit", int, description=f"candidates, 1–{forward.MAX_LIMIT} (default "
                                                       f"{forward.DEFAULT_LIMIT})"),
            OpenApiParameter("area", str, description="district, street or community code to search in"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        crs = coords.parse_crs(params.get("crs"))
        limit = parse_limit(params.get("limit"))
        area = parse_area(params.get("area"))
        with lookup.cursor() as cur:
            result = forward.geocode(cur, params.get("q", ""), request.user, limit, area)
        return Response(forward_json(result, crs))


class ReverseGeocode(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True),
            OpenApiParameter("crs", str, description="CRS of lon/lat and of the answer: EPSG:4490 (default), "
                                                     "EPSG:4326, gcj02, bd09"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        crs = coords.parse_crs(params.get("crs"))
        lon, lat = coords.parse_point(params.get("lon"), params.get("lat"), crs)
        with lookup.cursor() as cur:
            result = reverse.reverse(cur, lon, lat, request.user)
        return Response(reverse_json(result, crs))
