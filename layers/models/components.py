"""City components 部件 (GB/T 30428.2) and their class table."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from .. import codes
from ..photos import check_photos
from .base import SRID, Feature, check_geometry
from .grids import UnitGrid
from .locate import unit_grid_at


class ComponentClass(models.Model):
    """One class 部件小类: 4-digit code (major + minor), e.g. 0101 上水井盖; 80–99 are local extensions."""

    code = models.CharField("类别代码", max_length=4, primary_key=True)
    major_code = models.CharField("大类代码", max_length=2)
    minor_code = models.CharField("小类代码", max_length=2)
    major_name = models.CharField("大类名称", max_length=20)
    name = models.CharField("小类名称", max_length=40)

    class Meta:
        verbose_name = "部件类别"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_extension(self) -> bool:
        return int(self.minor_code) >= 80

    def clean(self) -> None:
        try:
            codes.check_class_code(self.major_code, self.minor_code)
        except ValidationError as exc:
            raise ValidationError({"code": exc}) from None
        self.code = self.major_code + self.minor_code
        self.major_name = codes.MAJOR_CLASSES[self.major_code]


class Component(Feature):
    """A component; its unit grid is derived from its position, never taken from the input."""

    STATUSES = ["完好", "破损", "丢失", "占用", "其他", "注销"]
    RETIRED = "注销"

    code = models.CharField("标识码", max_length=16, unique=True)
    # The two links are indexed once each (Meta.indexes) instead of Django's default pair (plain
    # + pattern_ops) per varchar key, and checked once per statement (``layers.links``) instead of
    # once per row: every index and every row-level check costs a census its 138,662 times.
    component_class = models.ForeignKey(
        ComponentClass, models.PROTECT, related_name="components", verbose_name="部件类别", db_index=False,
        db_constraint=False,
    )
    name = models.CharField("名称", max_length=100, blank=True)
    dept_admin = models.CharField("主管部门", max_length=100, blank=True)
    dept_owner = models.CharField("权属单位", max_length=100, blank=True)
    dept_maintain = models.CharField("养护单位", max_length=100, blank=True)
    unit_grid = models.ForeignKey(
        UnitGrid, models.PROTECT, to_field="code", related_name="components", verbose_name="所在单元网格",
        db_index=False, db_constraint=False,
    )
    status = models.CharField("状态", max_length=8, choices=[(s, s) for s in STATUSES], default="完好")
    initial_date = models.DateField("初始时间", null=True, blank=True)
    change_date = models.DateField("变更时间", null=True, blank=True)
    data_source = models.CharField("数据来源", max_length=50, blank=True)
    location_desc = models.CharField("位置描述", max_length=200, blank=True)
    currency_date = models.DateField("现势性", null=True, blank=True)
    scale_denominator = models.PositiveIntegerField("源比例尺分母", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    photos = models.JSONField("照片", default=list, blank=True)
    geom = models.GeometryField("位置", srid=SRID)

    class Meta:
        verbose_name = "部件"
        ordering = ["code"]
        indexes = [
            models.Index(fields=["component_class"], name="layers_component_class"),
            # pattern_ops serves both = and the jurisdiction prefix LIKE, whatever the collation
            models.Index(fields=["unit_grid"], name="layers_component_grid", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"部件 {self.code}"

    def clean(self) -> None:
        check_geometry(self.geom)
        self.unit_grid = unit_grid_at(self.geom)
        if self.component_class_id is None:
            raise ValidationError({"component_class": ValidationError("a class is required", code="required")})
        try:
            codes.check_component_code(self.code, self.component_class_id, self.unit_grid.code[:6])
        except ValidationError as exc:
            raise ValidationError({"code": exc}) from None
        try:
            check_photos(self.photos)
        except ValidationError as exc:
            raise ValidationError({"photos": exc}) from None
