"""Tile and TileJSON endpoints: /tiles/{layers}/{z}/{x}/{y}.mvt and /tiles/{layers}.json.

Plain Django views (no DRF negotiation in the hot path); errors are raised as project errors
and turned into JSON by ``gridcity.http_errors.ErrorMiddleware``. Authentication is the web
map's session or an API token, and the user's role and jurisdiction apply as in the API.
"""

from __future__ import annotations

from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse, JsonResponse

from layers.access import Actor, visible
from layers.errors import GridcityError, NotAuthenticated

from . import cache
from .request import TileRequest, for_actor, parse_filters, parse_layers, parse_spec
from .sql import vector_layer

MVT = "application/vnd.mapbox-vector-tile"


NO_LOGIN = "log in or send 'Authorization: Token <key>'"


def _token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[6:].strip() if header.startswith("Token ") else None


def actor_of(request: HttpRequest) -> Actor:
    """The session's user, or the user of an ``Authorization: Token …`` header."""
    if request.user.is_authenticated:
        return request.user
    key = _token(request)
    user = cache.token_user(key) if key else None
    if user is not None:
        return user
    raise NotAuthenticated(NO_LOGIN, field="Authorization")


def _resolve(request: HttpRequest, path: str) -> tuple[TileRequest, cache.Tile | None]:
    """The checked request and its cached tile if any. A token client is authenticated and served
    from the cache in one database round trip; a session client needs its session first. Who asks
    is settled before what is asked is judged, so a stranger gets 401, never the layer catalogue."""
    key = _token(request)
    if key is None or request.user.is_authenticated:
        actor = actor_of(request)
        req = for_actor(parse_spec(path, request.GET), actor)
        return req, cache.cached(req)
    try:
        spec = parse_spec(path, request.GET)
    except GridcityError:
        actor_of(request)
        raise
    found = cache.cached_for_token(key, spec)
    if found is None:
        raise NotAuthenticated(NO_LOGIN, field="Authorization")
    user, hit = found
    return for_actor(spec, user), hit


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (``gzip;q=0`` refuses it)."""
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            return not (params.strip().startswith("q=") and q.replace(".", "", 1).isdigit() and float(q) == 0)
    return False


def tile_headers(tile: cache.Tile) -> dict[str, str]:
    """ETag (first), caching and Vary headers of a tile response."""
    return {"ETag": f'"{tile.etag}"', "Cache-Control": "private, no-cache",
            "Vary": "Accept-Encoding, Authorization, Cookie"}


def tile(request: HttpRequest, path: str) -> HttpResponse:
    req, hit = _resolve(request, path)
    found = hit or cache.build_and_cache(req)
    headers = tile_headers(found)
    if headers["ETag"] in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        return HttpResponse(found.gzipped, content_type=MVT, headers={**headers, "Content-Encoding": "gzip"})
    return HttpResponse(cache.gunzip(found), content_type=MVT, headers=headers)


def tilejson(request: HttpRequest, names: str) -> JsonResponse:
    """TileJSON 3.0.0 for a layer or a comma-separated composite."""
    actor = actor_of(request)
    layers = parse_layers(names, actor)
    parse_filters(layers, request.GET)  # the tiles URL carries the filters: refuse bad ones here
    vector_layers, extents = [], []
    for layer in layers:
        vector_layers.append(vector_layer(layer))
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
