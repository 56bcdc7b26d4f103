"""Administrative units (GB/T 2260): district 区 ⊃ street 街道 ⊃ community 社区, nested by code and shape."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from .. import codes
from .base import SRID, Feature, attach_parent, check_geometry, check_inside


class AdminUnit(Feature):
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"


class District(AdminUnit):
    code = models.CharField("区划代码", max_length=6, unique=True)

    class Meta(AdminUnit.Meta):
        verbose_name = "区县"

    def clean(self) -> None:
        try:
            codes.check_code(self.code, "district")
        except ValidationError as exc:
            raise ValidationError({"code": exc}) from None
        check_geometry(self.geom)


class Street(AdminUnit):
    code = models.CharField("街道代码", max_length=9, unique=True)
    district = models.ForeignKey(District, models.PROTECT, to_field="code", related_name="streets")

    class Meta(AdminUnit.Meta):
        verbose_name = "街道/镇"

    def clean(self) -> None:
        parent = attach_parent(self, "street", District, "district")
        check_geometry(self.geom)
        check_inside(self.geom, parent, "the street")


class Community(AdminUnit):
    code = models.CharField("社区代码", max_length=12, unique=True)
    street = models.ForeignKey(Street, models.PROTECT, to_field="code", related_name="communities")

    class Meta(AdminUnit.Meta):
        verbose_name = "社区/村"
        verbose_name_plural = "communities"

    def clean(self) -> None:
        parent = attach_parent(self, "community", Street, "street")
        check_geometry(self.geom)
        check_inside(self.geom, parent, "the community")
