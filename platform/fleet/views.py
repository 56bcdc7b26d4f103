"""The fleet's HTTP API: vehicles, GPS ingest, live positions and their stream, tracks, questions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.access import check_read, visible
from layers.errors import FeatureNotFound
from layers.registry import registry

from . import ingest, live, params, questions, track, vehicles
from .credentials import HOW, FeedAuthentication
from .errors import BadBatch, BatchTooLarge, FeedNotAuthenticated, VehicleNotFound
from .layers import VEHICLES
from .models import FeedCredential, Vehicle

# Longest window of one playback request, and of one question.
TRACK_WINDOW = timedelta(days=7)
QUESTION_WINDOW = timedelta(days=31)
WINDOW_DOC = [OpenApiParameter("from", str, description="ISO 8601 with offset"),
              OpenApiParameter("to", str, description="ISO 8601 with offset")]


def _vehicle(request: Request, pk: int) -> Vehicle:
    found = visible(VEHICLES, request.user).select_related("live").filter(pk=pk).first()
    if found is None:
        raise VehicleNotFound(f"no vehicle or person {pk} you can see", field="id")
    return found


class VehicleList(APIView):
    """GET: the vehicles and people the user may see (filters: category, kind, group, available);
    POST: register one (JSON object of the writable fields)."""

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("category", "kind", "group", "available")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        rows = visible(VEHICLES, request.user).select_related("live")
        for name in ("category", "kind", "group"):
            if request.query_params.get(name):
                rows = rows.filter(**{name: request.query_params[name]})
        if request.query_params.get("available") in ("true", "false"):
            rows = rows.filter(available=request.query_params["available"] == "true")
        now = datetime.now(UTC)
        return Response({"vehicles": [vehicles.as_json(v, now) for v in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        created = vehicles.create(request.user, request.data)
        return Response(vehicles.as_json(created, datetime.now(UTC)), status=201)


class VehicleDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(vehicles.as_json(_vehicle(request, pk), datetime.now(UTC)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, pk: int) -> Response:
        changed = vehicles.update(request.user, _vehicle(request, pk), request.data)
        return Response(vehicles.as_json(changed, datetime.now(UTC)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        vehicles.delete(request.user, _vehicle(request, pk))
        return Response(status=204)


class FixIngest(APIView):
    """POST a batch of GPS fixes with a feed credential (``Authorization: Feed <key>``); the answer
    counts stored, duplicates and rejected fixes (each rejection with its index and reason). A 200
    means the stored fixes are committed."""

    authentication_classes = [FeedAuthentication]
    permission_classes: list = []

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, FeedCredential):
            raise FeedNotAuthenticated(f"GPS fixes need a feed credential: {HOW}", field="Authorization")
        try:
            raw = request.body
        except RequestDataTooBig:
            raise BatchTooLarge("the batch is larger than GRIDCITY_MAX_BODY_BYTES; send smaller batches",
                                field="fixes") from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadBatch(f"the body is not JSON: {exc}", field="fixes", rule="json") from None
        result = ingest.ingest(body, request.auth.pk, request.user.username)
        return Response(result.as_json())


class LiveList(APIView):
    """The live position of every vehicle and person the user may see, with online/offline."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response({"vehicles": live.positions(request.user),
                         "signal_timeout": settings.GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS})


class EventStreamRenderer(BaseRenderer):
    """Lets an EventSource (``Accept: text/event-stream``) through DRF's content negotiation; the
    stream itself is a Django streaming response, and an error before it starts is answered as JSON
    (``LiveStream.handle_exception``), so this renderer never renders a body."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data: object, accepted_media_type: str | None = None,
               renderer_context: dict | None = None) -> bytes:
        raise NotImplementedError("the event stream is a StreamingHttpResponse; errors are rendered as JSON")


class LiveStream(APIView):
    """Server-sent events: a ``snapshot`` of the live positions, then ``positions`` as fixes arrive."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        """Errors (401, 403 …) as ``application/json``, as every error of the API, even when the
        request negotiated the event stream."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response

    @extend_schema(responses={(200, "text/event-stream"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        check_read(VEHICLES, request.user)
        response = StreamingHttpResponse(live.events(request.user), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response


class TrackView(APIView):
    """A vehicle's fixes in ``from``–``to`` in time order; ``zoom`` simplifies for that map zoom."""

    @extend_schema(parameters=[*WINDOW_DOC, OpenApiParameter("zoom", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> HttpResponse:
        vehicle = _vehicle(request, pk)
        start, end = params.window(request.query_params, TRACK_WINDOW)
        body: dict[str, object] = {"vehicle": vehicle.pk, "label": str(vehicle), "from": start.isoformat(),
                                   "to": end.isoformat()}
        if request.query_params.get("zoom"):
            zoom = int(params.number(request.query_params, "zoom", None, 0, 22))
            kept = track.simplified(vehicle.pk, start, end, track.tolerance_for_zoom(zoom))
            return Response({**body, "fields": ["time", "lon", "lat"], "count": len(kept), "points": kept})
        count, points = track.points_json(vehicle.pk, start, end)
        head = json.dumps({**body, "fields": ["time", "lon", "lat", "speed", "heading"], "count": count},
                          ensure_ascii=False)
        return HttpResponse(f'{head[:-1]}, "points": {points}}}', content_type="application/json")


class DayView(APIView):
    """A vehicle's day (``date`` YYYY-MM-DD in the platform's time zone): mileage, working hours,
    trips and stops."""

    @extend_schema(parameters=[OpenApiParameter("date", str)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        vehicle = _vehicle(request, pk)
        start, end = track.day_window(request.query_params.get("date", ""))
        summary = track.day_summary(track.fixes(vehicle.pk, start, end))
        return Response({"vehicle": vehicle.pk, "label": str(vehicle), "date": start.date().isoformat(), **summary})


class Passed(APIView):
    """违规反查: vehicles that passed an area or segment between ``from`` and ``to``. The area is
    ``geometry`` (GeoJSON, ``crs`` default EPSG:4490) or a feature ``layer`` + ``id`` (a road, a
    cleaning segment, a facility …), buffered by ``buffer`` metres (default 30)."""

    @extend_schema(parameters=[*WINDOW_DOC, *(OpenApiParameter(n, str) for n in ("geometry", "crs", "layer", "id",
                                                                               "buffer"))],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        q = request.query_params
        start, end = params.window(q, QUESTION_WINDOW)
        buffer_m = params.number(q, "buffer", 30.0, 0, 5000)
        if q.get("layer"):
            layer = registry.get(q["layer"])
            pk = int(params.number(q, "id", None, 1, 2**63 - 1))
            feature = visible(layer, request.user).filter(pk=pk).first()
            if feature is None:
                raise FeatureNotFound(f"layer {layer.name} has no feature {pk} you can see", field="id")
            area = getattr(feature, layer.geometry_field)
        else:
            area = params.geometry(q.get("geometry"), q.get("crs"))
        found = questions.passed(request.user, area, buffer_m, start, end)
        return Response({"from": start.isoformat(), "to": end.isoformat(), "buffer_m": buffer_m, "vehicles": found})


class Nearest(APIView):
    """The nearest available vehicles online to ``lon``/``lat`` (optionally of a ``group`` or ``kind``)."""

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("lon", "lat", "crs", "group", "kind", "limit")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        q = request.query_params
        where = params.point(q)
        limit = int(params.number(q, "limit", 5, 1, 100))
        found = questions.nearest(request.user, where, q.get("group"), q.get("kind"), limit)
        return Response({"lon": where.x, "lat": where.y, "vehicles": found})


class Daily(APIView):
    """Mileage and working hours per vehicle for ``date`` (optionally one ``vehicle``)."""

    @extend_schema(parameters=[OpenApiParameter("date", str), OpenApiParameter("vehicle", int)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        start, end = track.day_window(request.query_params.get("date", ""))
        vehicle = request.query_params.get("vehicle")
        one = int(params.number(request.query_params, "vehicle", None, 1, 2**63 - 1)) if vehicle else None
        return Response({"date": start.date().isoformat(), "vehicles": questions.daily(request.user, start, end, one)})
