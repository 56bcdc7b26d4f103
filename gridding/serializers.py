"""The request bodies of ``/api/gridding/…`` as the OpenAPI schema describes them.

The views read these fields themselves (``layers.api.params`` and the package's own checks, which
name the parameter and rule in each 400); the serializers give clients and fuzzers the real shapes.
"""

from __future__ import annotations

from rest_framework import serializers

AREA_HELP = "district (6), street (9) or community (12) digit code; default: your jurisdiction"


class Area(serializers.Serializer):
    area = serializers.RegexField(r"^[0-9]{6}([0-9]{3}){0,2}$", required=False, help_text=AREA_HELP)


class TopologyBody(Area):
    overlap_m2 = serializers.FloatField(min_value=0, required=False, help_text="overlaps below this are noise (m²)")
    gap_m2 = serializers.FloatField(min_value=0, required=False, help_text="gaps below this are noise (m²)")
    outside_m2 = serializers.FloatField(min_value=0, required=False, help_text="area outside the community (m²)")
    sliver_m2 = serializers.FloatField(min_value=0, required=False, help_text="a smaller unit grid is a sliver")
    sliver_thinness = serializers.FloatField(min_value=0, required=False, help_text="Polsby–Popper below this")


class BuildBody(serializers.Serializer):
    area = serializers.RegexField(r"^[0-9]{6}([0-9]{3})?$", required=False,
                                  help_text="district (6) or street (9) digit code; default: your jurisdiction")


class MoveBody(serializers.Serializer):
    unit_grid = serializers.RegexField(r"^[0-9]{15}$", help_text="the unit grid to move")
    to = serializers.RegexField(r"^[0-9]{12}$", help_text="the neighbouring evaluation grid it joins")


class RoundBody(BuildBody):
    city_class = serializers.ChoiceField([1, 2, 3], required=False,
                                         help_text="sampling rule (SPEC §5.2); default: GRIDCITY_CITY_CLASS")
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    points_per_grid = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class VoidBody(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="why the round is void")


class FishnetBody(Area):
    shape = serializers.ChoiceField(["square", "hex"])
    size = serializers.FloatField(min_value=10, max_value=100_000, help_text="cell size in metres")
    layer = serializers.CharField(help_text="a registered layer whose features are counted, e.g. components")
