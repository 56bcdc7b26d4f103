"""Geocoding entities 地理编码实体 (GB/T 30428.3, SPEC §4): zones 地片/区片, streets 街巷 with house-number
ranges, door plates 门(楼)牌 and points of interest 兴趣点, each with aliases 别名 and old names 曾用名.

Aliases and old names are JSON lists of non-empty strings (rule ``name_list``) so case geocoding can
match every name a place goes by. Door plates and POIs derive their unit grid from their position
(rule ``inside_district``), like components; zones and streets are scoped spatially.
"""

from __future__ import annotations

import re

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from .base import SRID, Feature, check_geometry
from .grids import UnitGrid
from .locate import unit_grid_at

NAME_LIST_FIELDS = ("aliases", "old_names")
_DIGIT = re.compile(r"[0-9０-９]")


def check_name_lists(obj: models.Model) -> None:
    """``aliases`` and ``old_names`` are lists of non-empty strings of at most 100 characters (rule ``name_list``)."""
    for name in NAME_LIST_FIELDS:
        value = getattr(obj, name)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() and len(v) <= 100 for v in value):
            raise ValidationError({name: ValidationError(
                f"{obj._meta.get_field(name).verbose_name} is a list of names (non-empty text, at most 100 "
                "characters each)", code="name_list")})


class Aliased(Feature):
    """What every geocoding entity has: aliases and old names, checked with its geometry."""

    aliases = models.JSONField("别名", default=list, blank=True)
    old_names = models.JSONField("曾用名", default=list, blank=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        check_geometry(self.geom)
        check_name_lists(self)


class NamedPlace(Aliased):
    """A zone or street: a code and a standard name besides its aliases and old names."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("标准名称", max_length=100)

    class Meta:
        abstract = True


class Zone(NamedPlace):
    """A zone 地片/区片: a named area (estate, quarter, industrial park) used to locate addresses."""

    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "地片/区片"
        verbose_name_plural = "地片/区片"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"地片 {self.name}"


class StreetLine(NamedPlace):
    """A street 街巷 (centre line) with the house-number ranges on each side (rule ``number_range``)."""

    RANGES = (("left_from", "left_to"), ("right_from", "right_to"))

    left_from = models.PositiveIntegerField("左侧起始门牌号", null=True, blank=True)
    left_to = models.PositiveIntegerField("左侧终止门牌号", null=True, blank=True)
    right_from = models.PositiveIntegerField("右侧起始门牌号", null=True, blank=True)
    right_to = models.PositiveIntegerField("右侧终止门牌号", null=True, blank=True)
    geom = models.LineStringField("中心线", srid=SRID)

    class Meta:
        verbose_name = "街巷"
        verbose_name_plural = "街巷"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"街巷 {self.name}"

    def clean(self) -> None:
        super().clean()
        for low, high in self.RANGES:
            first, last = getattr(self, low), getattr(self, high)
            if (first is None) != (last is None):
                raise ValidationError({low if first is None else high: ValidationError(
                    "a house-number range needs both its first and its last number", code="number_range")})


class DoorPlate(Aliased):
    """A door (building) plate 门(楼)牌: 街路巷名 + 门牌号 (e.g. 幸福路 12-1号), unit grid derived."""

    code = models.CharField("门牌编码", max_length=32, unique=True)
    street_name = models.CharField("街路巷名", max_length=100)
    number = models.CharField("门牌号", max_length=20)
    building = models.CharField("楼栋号", max_length=50, blank=True)
    unit_grid = models.ForeignKey(
        UnitGrid, models.PROTECT, to_field="code", related_name="door_plates", verbose_name="所在单元网格"
    )
    geom = models.PointField("位置", srid=SRID)

    class Meta:
        verbose_name = "门(楼)牌"
        verbose_name_plural = "门(楼)牌"
        ordering = ["code"]
        indexes = [models.Index(fields=["street_name", "number"])]

    def __str__(self) -> str:
        return f"{self.street_name}{self.number}"

    @property
    def address(self) -> str:
        return f"{self.street_name}{self.number}{self.building}"

    def clean(self) -> None:
        check_geometry(self.geom)
        if self.number and not _DIGIT.search(self.number):
            raise ValidationError({"number": ValidationError(
                f"门牌号 {self.number!r} holds no number (e.g. 12号, 12-1号)", code="house_number")})
        check_name_lists(self)
        self.unit_grid = unit_grid_at(self.geom)


class POI(Aliased):
    """A point of interest 兴趣点 (school, hospital, market …), unit grid derived from its position."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    category = models.CharField("类别", max_length=50, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    unit_grid = models.ForeignKey(
        UnitGrid, models.PROTECT, to_field="code", related_name="pois", verbose_name="所在单元网格"
    )
    geom = models.PointField("位置", srid=SRID)

    class Meta:
        verbose_name = "兴趣点"
        verbose_name_plural = "兴趣点"
        ordering = ["code"]
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"兴趣点 {self.name}"

    def clean(self) -> None:
        super().clean()
        self.unit_grid = unit_grid_at(self.geom)
