"""GeoJSON API views: the layer list, feature collections (bbox, filters, paging) and single features."""

from __future__ import annotations

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import crs, editing
from ..access import check_read, visible
from ..errors import FeatureNotFound
from ..models import ComponentClass
from ..registry import Layer, registry
from . import params
from .serializers import FeatureBody, feature_serializer

_TYPES = {"CharField": "string", "TextField": "string", "IntegerField": "integer", "PositiveIntegerField": "integer",
          "PositiveSmallIntegerField": "integer", "FloatField": "number", "DateField": "date",
          "DateTimeField": "datetime", "JSONField": "json", "ForeignKey": "string", "BigAutoField": "integer"}


def describe(layer: Layer, role: str) -> dict[str, object]:
    """The layer as the API and the map see it."""
    fields = []
    for name in layer.fields:
        f = layer.model._meta.get_field(name)
        title = str(getattr(f, "verbose_name", name))
        if f.is_relation and title == name.replace("_", " "):  # a foreign key with no title of its own
            title = str(f.related_model._meta.verbose_name)
        choices = {str(v): str(label) for v, label in f.choices} if getattr(f, "choices", None) else None
        fields.append({"name": name, "title": title, "type": _TYPES.get(f.get_internal_type(), "string"),
                       "read_only": name in layer.read_only_fields, "choices": choices})
    return {
        "name": layer.name, "title": layer.title, "geometry_type": layer.geometry_type, "fields": fields,
        "minzoom": layer.zoom[0], "maxzoom": layer.zoom[1], "label_field": layer.label_field,
        "style": {"light": layer.style.light, "dark": layer.style.dark},
        "editable": layer.may_edit(role), "default_on": layer.default_on,
        "features": f"/api/layers/{layer.name}/features/",
    }


def _srid(request: Request) -> int:
    raw = request.query_params.get("crs")
    return crs.parse_srid(raw) if raw else crs.STORAGE_SRID


class LayerList(APIView):
    """The layers this user may read, with their fields, zooms and styles."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        role = request.user.role
        return Response({"layers": [describe(layer, role) for layer in registry.all() if layer.may_read(role)]})


class LayerDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, layer: str) -> Response:
        found = registry.get(layer)
        check_read(found, request.user)
        return Response(describe(found, request.user.role))


FILTER_DOC = [
    OpenApiParameter("bbox", str, description="minx,miny,maxx,maxy in EPSG:4490"),
    OpenApiParameter("limit", int), OpenApiParameter("offset", int),
    OpenApiParameter("crs", str, description="CRS of a written geometry (default EPSG:4490)"),
]


class FeatureList(APIView):
    """GET: a FeatureCollection (bbox, {field}={value} filters, limit/offset, totals); POST: create."""

    @extend_schema(parameters=FILTER_DOC, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, layer: str) -> Response:
        found = registry.get(layer)
        rows = visible(found, request.user)
        query = params.parse(found, request.query_params.copy())
        rows = rows.filter(query.filters)
        if query.bbox is not None:
            rows = rows.filter(**{f"{found.geometry_field}__intersects": query.bbox})
        total = rows.count()
        page = rows.order_by("pk")[query.offset: query.offset + query.limit]
        data = feature_serializer(found.name)(page, many=True).data
        return Response({**data, "numberMatched": total, "numberReturned": len(data["features"]),
                         "limit": query.limit, "offset": query.offset})

    @extend_schema(request=FeatureBody, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, layer: str) -> Response:
        found = registry.get(layer)
        obj = editing.create(found, request.user, request.data, _srid(request))
        return Response(feature_serializer(found.name)(obj).data, status=201)


class FeatureDetail(APIView):
    """One feature: GET, PATCH (partial GeoJSON Feature), DELETE."""

    def _get(self, request: Request, layer: str, pk: int) -> tuple[Layer, Model]:
        found = registry.get(layer)
        obj = visible(found, request.user).filter(pk=pk).first()
        if obj is None:
            raise FeatureNotFound(f"layer {layer} has no feature {pk} you can see", field="id")
        return found, obj

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, layer: str, pk: int) -> Response:
        found, obj = self._get(request, layer, pk)
        return Response(feature_serializer(found.name)(obj).data)

    @extend_schema(request=FeatureBody, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, layer: str, pk: int) -> Response:
        found, obj = self._get(request, layer, pk)
        obj = editing.update(found, request.user, obj, request.data, _srid(request))
        return Response(feature_serializer(found.name)(obj).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, layer: str, pk: int) -> Response:
        found, obj = self._get(request, layer, pk)
        editing.delete(found, request.user, obj)
        return Response(status=204)


class ComponentClassList(APIView):
    """The component class table (GB/T 30428.2 plus local extensions 80–99)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        rows = ComponentClass.objects.all()
        return Response({"classes": [
            {"code": c.code, "major_code": c.major_code, "minor_code": c.minor_code, "major_name": c.major_name,
             "name": c.name, "extension": c.is_extension} for c in rows
        ]})
