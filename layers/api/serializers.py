"""Serializers built from the registry: a GeoJSON Feature serializer per layer for output, and a
properties serializer of the writable fields for input. Built once per layer and cached."""

from __future__ import annotations

from functools import cache

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
