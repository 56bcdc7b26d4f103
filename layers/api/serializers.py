"""Serializers built from the registry: a GeoJSON Feature serializer per layer for output, and a
properties serializer of the writable fields for input. Built once per layer and cached."""

from __future__ import annotations

from functools import cache

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from ..registry import Layer, registry


@cache
def feature_serializer(layer_name: str) -> type[GeoFeatureModelSerializer]:
    layer = registry.get(layer_name)
    meta = type("Meta", (), {"model": layer.model, "geo_field": layer.geometry_field,
                             "fields": ("id", layer.geometry_field, *layer.fields)})
    return type(f"{layer.model.__name__}FeatureSerializer", (GeoFeatureModelSerializer,), {"Meta": meta})


@cache
def properties_serializer(layer_name: str) -> type[serializers.ModelSerializer]:
    layer: Layer = registry.get(layer_name)
    meta = type("Meta", (), {"model": layer.model, "fields": layer.writable_fields})
    return type(f"{layer.model.__name__}PropertiesSerializer", (serializers.ModelSerializer,), {"Meta": meta})


@extend_schema_field({
    "type": "object", "required": ["type", "coordinates"],
    "properties": {"type": {"enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                                     "MultiPolygon"]},
                   "coordinates": {"type": "array", "items": {}}},
})
class GeoJSONGeometry(serializers.JSONField):
    """A GeoJSON geometry in a request body (documentation only: ``layers.editing`` parses it)."""


class FeatureBody(serializers.Serializer):
    """The body of a feature write as the OpenAPI schema shows it: a GeoJSON Feature whose properties
    are the layer's writable fields (``GET /api/layers/{layer}/`` lists them) and whose optional
    ``crs`` names the geometry's CRS (default EPSG:4490). Parsed and checked by ``layers.editing``."""

    type = serializers.ChoiceField(["Feature"])
    geometry = GeoJSONGeometry(help_text="a GeoJSON geometry of the layer's type (required to create)")
    properties = serializers.DictField(required=False, help_text="the layer's writable fields")
    crs = serializers.CharField(required=False, help_text="e.g. EPSG:4549 (CGCS2000 / 3-degree GK CM 120E)")
