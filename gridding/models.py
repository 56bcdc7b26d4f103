"""The gridding layers' tables: evaluation grids, zone areas, evaluation points, topology problems,
sampling rounds (with their grids and points) and fishnet cells. All geometries in EPSG:4490.

Each model with a geometry is registered as a layer (``gridding.layers``), so the audit and
tile-invalidation triggers cover it like every other layer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex

from jobs.records import JobRecord
from layers.models import Street
from layers.models.base import SRID, Feature, check_geometry

from .sampling import POINT_TYPES, ZONE_TYPES
from .topology import KINDS

EVALUATION_FLAGS = {
    "too_small": "街道不足0.5km²", "undersize": "小于0.5km²", "oversize": "大于3km²", "not_compact": "形状不紧凑",
    "ring": "环状", "not_contiguous": "不连通",
}


class EvaluationGrid(Feature):
    """An evaluation grid 评价网格: whole, contiguous unit grids of one street (SPEC §3, §5.2)."""

    code = models.CharField("评价网格编码", max_length=12, unique=True)
    street = models.ForeignKey(Street, models.PROTECT, to_field="code", related_name="evaluation_grids")
    members = ArrayField(models.CharField(max_length=15), verbose_name="单元网格")
    # md5 over the members' codes and geometries: a rebuild keeps the grid (and its code) while it matches.
    fingerprint = models.CharField(max_length=32)
    member_count = models.PositiveIntegerField("单元网格数")
    area_m2 = models.FloatField("面积(m²)")
    compactness = models.FloatField("紧凑度")
    flags = models.CharField("问题", max_length=100, blank=True)
    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "评价网格"
        ordering = ["code"]
        indexes = [GinIndex(fields=["members"], name="gridding_eval_members_gin")]

    def __str__(self) -> str:
        return f"评价网格 {self.code}"


class ZoneArea(Feature):
    """A zone-type area A/B/C 区域类型, imported or drawn; evaluation grids take the type they overlap most."""

    zone_type = models.CharField("区域类型", max_length=1, choices=list(ZONE_TYPES.items()))
    name = models.CharField("名称", max_length=100, blank=True)
    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "区域类型"
        ordering = ["zone_type", "id"]

    def __str__(self) -> str:
        return f"{self.get_zone_type_display()} {self.name}"

    def clean(self) -> None:
        check_geometry(self.geom)


class EvaluationPoint(Feature):
    """An evaluation point 考评点位 of type LXDM 01–14 (SPEC §3): a road, park, market, toilet …"""

    code = models.CharField("点位编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    point_type = models.CharField("点位类型", max_length=2, choices=list(POINT_TYPES.items()))
    geom = models.GeometryField("位置", srid=SRID)

    class Meta:
        verbose_name = "考评点位"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_point_type_display()} {self.name}"

    def clean(self) -> None:
        check_geometry(self.geom)


class TopologyProblem(Feature):
    """One problem found by the last topology check of its street (replaced on every check)."""

    kind = models.CharField("问题类型", max_length=20, choices=list(KINDS.items()))
    unit_code = models.CharField("所属网格/社区", max_length=15, db_index=True)
    codes = models.CharField("涉及编码", max_length=200)
    area_m2 = models.FloatField("面积(m²)")
    message = models.CharField("说明", max_length=300)
    geom = models.GeometryField("位置", srid=SRID, null=True)

    class Meta:
        verbose_name = "网格拓扑问题"
        ordering = ["unit_code", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.codes}"


class SamplingRound(Feature):
    """A sampling round 抽样轮次: who drew what, when, from which seed under which rule; its geometry is the
    union of its drawn grids."""

    area_code = models.CharField("抽样范围", max_length=12, db_index=True)
    number = models.PositiveIntegerField("轮次")
    city_class = models.PositiveSmallIntegerField("城市类别")
    rule = models.JSONField("抽样规则")
    seed = models.BigIntegerField("随机种子")
    points_per_grid = models.PositiveIntegerField("每网格点位数")
    created_by = models.CharField("抽样人", max_length=150)
    # md5 of the strata and points the draw saw: a replay says whether the inputs are still the same.
    fingerprint = models.CharField(max_length=32)
    warnings = models.JSONField("提示", default=list)
    geom = models.MultiPolygonField("范围", srid=SRID, null=True)
    # A voided round (drawn by mistake or by a fuzzer) stays on record but no longer counts in the
    # non-repetition history of the rounds drawn after it was voided (``rounds.history``).
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.CharField("作废人", max_length=150, blank=True)
    void_reason = models.CharField("作废原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "抽样轮次"
        ordering = ["area_code", "number"]
        constraints = [models.UniqueConstraint(fields=["area_code", "number"], name="gridding_round_number")]

    def __str__(self) -> str:
        return f"抽样 {self.area_code} 第{self.number}轮"


class RoundGrid(Feature):
    """An evaluation grid drawn in a round, with its zone type and the stratum cycle it was drawn in."""

    round = models.ForeignKey(SamplingRound, models.PROTECT, related_name="grids", verbose_name="抽样轮次")
    evaluation_grid = models.CharField("评价网格编码", max_length=12)
    zone_type = models.CharField("区域类型", max_length=1, choices=list(ZONE_TYPES.items()))
    cycle = models.PositiveIntegerField("抽样周期")
    geom = models.MultiPolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "抽中评价网格"
        ordering = ["round", "zone_type", "evaluation_grid"]


class RoundPoint(Feature):
    """An evaluation point drawn inside a drawn grid."""

    round = models.ForeignKey(SamplingRound, models.PROTECT, related_name="points", verbose_name="抽样轮次")
    evaluation_grid = models.CharField("评价网格编码", max_length=12)
    point = models.ForeignKey(EvaluationPoint, models.SET_NULL, null=True, related_name="draws",
                              verbose_name="考评点位")
    point_code = models.CharField("点位编码", max_length=32)
    point_type = models.CharField("点位类型", max_length=2, choices=list(POINT_TYPES.items()))
    name = models.CharField("名称", max_length=100)
    geom = models.GeometryField("位置", srid=SRID)

    class Meta:
        verbose_name = "抽中考评点位"
        ordering = ["round", "evaluation_grid", "point_type", "point_code"]


class Fishnet(models.Model):
    """One regular grid over an area with the counts of one layer per cell."""

    SHAPES = {"square": "正方形", "hex": "六边形"}
    shape = models.CharField("形状", max_length=6, choices=list(SHAPES.items()))
    size_m = models.FloatField("边长(m)")
    layer = models.CharField("统计图层", max_length=64)
    area_code = models.CharField("范围", max_length=12)
    created_by = models.CharField("创建人", max_length=150)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则格网"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_shape_display()}格网 {self.size_m:g} m · {self.layer}"


class FishnetCell(Feature):
    """One cell of a fishnet. Cells at the area's edge reach past it, so a cell carries its fishnet's
    area code and belongs to that area (the jurisdiction rule's code form), not to where it lies."""

    fishnet = models.ForeignKey(Fishnet, models.CASCADE, related_name="cells", verbose_name="规则格网")
    area_code = models.CharField("范围", max_length=12, db_index=True)
    count = models.PositiveIntegerField("数量")
    density_km2 = models.FloatField("密度(/km²)")
    area_m2 = models.FloatField("面积(m²)")
    geom = models.PolygonField("范围", srid=SRID)

    class Meta:
        verbose_name = "格网单元"
        ordering = ["fishnet", "id"]


class EvaluationBuildJob(JobRecord):
    """A (re)build of the evaluation grids of an area asked for over the API, run by a worker
    (``gridding.jobs``); ``report`` is the build's report once done."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="evaluation_builds")
    area = models.CharField("区域", max_length=9, help_text="district or street code; '' for the whole platform")
    steps_done = models.PositiveSmallIntegerField("已完成步骤", default=0)
    report = models.JSONField("结果", null=True, blank=True)

    class Meta:
        verbose_name = "评价网格生成任务"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"evaluation build {self.id} {self.area or 'all'} ({self.status})"
