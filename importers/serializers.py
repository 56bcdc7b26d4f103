"""The upload of ``POST /api/imports/`` as the OpenAPI schema describes it (the view reads the
fields itself and names each bad one in a 400)."""

from __future__ import annotations

from rest_framework import serializers

from .kinds import KINDS
from .readers import FORMATS, TEXT_ENCODINGS


class ImportUpload(serializers.Serializer):
    file = serializers.FileField(help_text=f"the file: {', '.join(sorted(FORMATS))}")
    kind = serializers.ChoiceField(sorted(KINDS), help_text="what the file holds")
    crs = serializers.CharField(required=False, help_text="the file's CRS when it names none, e.g. EPSG:4549")
    encoding = serializers.ChoiceField(TEXT_ENCODINGS, required=False,
                                       help_text="text encoding of a shapefile/CSV without .cpg (default: detect)")
    layer = serializers.CharField(required=False, help_text="the layer of a GeoPackage holding several")
    mapping = serializers.FileField(required=False, help_text="a JSON column mapping")
    expected = serializers.IntegerField(required=False, help_text="rows expected (QA)")
    dry_run = serializers.BooleanField(required=False)
    retire_missing = serializers.BooleanField(required=False)
    qa = serializers.BooleanField(required=False)
