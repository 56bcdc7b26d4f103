"""Roads 道路 and cleaning segments 清扫保洁路段 (lines, grade 1–4, lengths in metres)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError

from .admin import District
from .base import SRID, Feature, check_geometry, geodesic

GRADES = [(1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")]


def district_under(geom: GEOSGeometry) -> District:
    """The district a line runs in (lowest code if several); refuses a line outside every district."""
    district = District.objects.filter(geom__intersects=geom).order_by("code").first()
    if district is None:
        raise ValidationError({"geom": ValidationError(
            "the line lies outside every district of the platform", code="inside_district")})
    return district


class LineFeature(Feature):
    """A named line in one district, its length in metres derived from the geometry."""

    district: models.ForeignKey
    length_m = models.FloatField("长度(m)", default=0)
    geom = models.LineStringField("线形", srid=SRID)

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_geometry(self.geom)
        self.district = district_under(self.geom)
        self.length_m = geodesic("length", self.geom)


class Road(LineFeature):
    name = models.CharField("道路名称", max_length=100)
    grade = models.PositiveSmallIntegerField("道路等级", choices=GRADES)
    district = models.ForeignKey(District, models.PROTECT, to_field="code", related_name="roads")

    class Meta(LineFeature.Meta):
        verbose_name = "道路"


class CleaningSegment(LineFeature):
    name = models.CharField("路段名称", max_length=100)
    road = models.ForeignKey(Road, models.SET_NULL, null=True, blank=True, related_name="segments")
    district = models.ForeignKey(District, models.PROTECT, to_field="code", related_name="cleaning_segments")
    grade = models.PositiveSmallIntegerField("保洁等级", choices=GRADES)
    width_m = models.FloatField("宽度(m)", default=0)
    area_m2 = models.FloatField("清扫面积(m²)", default=0)
    team = models.CharField("作业单位", max_length=100, blank=True)

    class Meta(LineFeature.Meta):
        verbose_name = "清扫保洁路段"

    def clean(self) -> None:
        super().clean()
        self.area_m2 = self.length_m * self.width_m
