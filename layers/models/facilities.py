"""Facilities 设施: typed points (collection points, transfer stations, toilets, sites …)."""

from __future__ import annotations

from django.contrib.gis.db import models

from ..facility_kinds import KINDS, check_attrs
from .base import SRID, Feature, check_geometry
from .grids import UnitGrid
from .locate import unit_grid_at


class Facility(Feature):
    kind = models.CharField("类型", max_length=32, choices=[(k, v.title) for k, v in KINDS.items()])
    code = models.CharField("编号", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    operator = models.CharField("运营单位", max_length=100, blank=True)
    unit_grid = models.ForeignKey(
        UnitGrid, models.PROTECT, to_field="code", related_name="facilities", verbose_name="所在单元网格"
    )
    attrs = models.JSONField("属性", default=dict, blank=True)
    geom = models.PointField("位置", srid=SRID)

    class Meta:
        verbose_name = "设施"
        verbose_name_plural = "facilities"
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        check_geometry(self.geom)
        check_attrs(self.kind, self.attrs)
        self.unit_grid = unit_grid_at(self.geom)
