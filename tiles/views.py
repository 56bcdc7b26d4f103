"""Tile and TileJSON endpoints: /tiles/{layers}/{z}/{x}/{y}.mvt and /tiles/{layers}.json.

Plain Django views (no DRF negotiation in the hot path); errors are raised as project errors
and turned into JSON by ``gridcity.http_errors.ErrorMiddleware``. Authentication is the web
map's session or an API token, and the user's role and jurisdiction apply as in the API.
"""

from __future__ import annotations

import gzip

from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authtoken.models import Token

from layers.access import Actor, visible
from layers.api.views import describe
from layers.errors import NotAuthenticated

from . import cache
from .request import parse, parse_layers

MVT = "application/vnd.mapbox-vector-tile"


def actor_of(request: HttpRequest) -> Actor:
    """The session's user, or the user of an ``Authorization: Token …`` header."""
    if request.user.is_authenticated:
        return request.user
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        token = Token.objects.select_related("user").filter(key=header[6:].strip()).first()
        if token is not None and token.user.is_active:
            return token.user
    raise NotAuthenticated("log in or send 'Authorization: Token <key>'", field="Authorization")


def tile(request: HttpRequest, path: str) -> HttpResponse:
    req = parse(path, request.GET, actor_of(request))
    found = cache.fetch(req)
    etag = f'"{found.etag}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Authorization, Cookie"}
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return HttpResponse(found.gzipped, content_type=MVT, headers={**headers, "Content-Encoding": "gzip"})
    return HttpResponse(gzip.decompress(found.gzipped), content_type=MVT, headers=headers)


_FIELD_TYPES = {"integer": "Number", "number": "Number"}


def tilejson(request: HttpRequest, names: str) -> JsonResponse:
    """TileJSON 3.0.0 for a layer or a comma-separated composite."""
    actor = actor_of(request)
    layers = parse_layers(names, actor)
    vector_layers, extents = [], []
    for layer in layers:
        info = describe(layer, actor.role)
        vector_layers.append({
            "id": layer.name, "description": layer.title, "minzoom": layer.zoom[0], "maxzoom": layer.zoom[1],
            "fields": {f["name"]: _FIELD_TYPES.get(str(f["type"]), "String") for f in info["fields"]},  # type: ignore[attr-defined]
        })
        extent = visible(layer, actor).aggregate(e=Extent(layer.geometry_field))["e"]
        if extent:
            extents.append(extent)
    bounds = [min(e[0] for e in extents), min(e[1] for e in extents), max(e[2] for e in extents),
              max(e[3] for e in extents)] if extents else [-180, -85.0511, 180, 85.0511]
    minzoom, maxzoom = min(la.zoom[0] for la in layers), max(la.zoom[1] for la in layers)
    query = request.GET.urlencode()
    url = request.build_absolute_uri(f"/tiles/{names}/{{z}}/{{x}}/{{y}}.mvt") + (f"?{query}" if query else "")
    return JsonResponse({
        "tilejson": "3.0.0", "name": names, "scheme": "xyz", "tiles": [url.replace("%7B", "{").replace("%7D", "}")],
        "vector_layers": vector_layers, "bounds": bounds, "minzoom": minzoom, "maxzoom": maxzoom,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, max(minzoom, 12)],
    })
