"""Unit grids 单元网格 (15-digit codes inside their community) and responsibility grids 责任网格."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from .admin import Community
from .base import SRID, Feature, attach_parent, check_geometry, check_inside, geodesic


class UnitGrid(Feature):
    code = models.CharField("网格编码", max_length=15, unique=True)
    community = models.ForeignKey(Community, models.PROTECT, to_field="code", related_name="unit_grids")
    area_m2 = models.FloatField("面积(m²)", default=0)
    initial_date = models.DateField("初始划分日期", null=True, blank=True)
    change_date = models.DateField("变更日期", null=True, blank=True)
    geom = models.PolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "单元网格"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"单元网格 {self.code}"

    def clean(self) -> None:
        parent = attach_parent(self, "unit_grid", Community, "community")
        check_geometry(self.geom)
        check_inside(self.geom, parent, f"unit grid {self.code}")
        self.area_m2 = geodesic("area", self.geom)


class ResponsibilityGrid(Feature):
    """A grid of responsibility of one kind, bound to a person (assignee) or a team."""

    KINDS = {
        "supervisor": "监督员网格",
        "sanitation": "环卫巡查网格",
        "greening": "绿化养护网格",
        "enforcement": "执法巡查网格",
    }
    code = models.CharField("网格编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=list(KINDS.items()))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="responsibility_grids",
        verbose_name="责任人",
    )
    team = models.CharField("责任单位/班组", max_length=100, blank=True)
    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "责任网格"
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"

    def clean(self) -> None:
        check_geometry(self.geom)
        if self.assignee_id is None and not self.team:
            raise ValidationError({"assignee": ValidationError(
                "a responsibility grid is bound to a person (assignee) or a team", code="bound"
            )})
