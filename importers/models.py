"""The import records: an API upload's job (who, which file, options, progress, summary, error
report — the queue itself is procrastinate's, see ``importers.jobs``), the census QA cells and the
row digests a re-import recognises unchanged rows by.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.db import models

from jobs.records import JobRecord

from .uploads import discard


class ImportJob(JobRecord):
    kind = models.CharField("类型", max_length=32)
    file_name = models.CharField("文件名", max_length=255)
    path = models.CharField("存放路径", max_length=500)
    options = models.JSONField("选项", default=dict)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="import_jobs")
    rows_done = models.PositiveIntegerField("已读行数", default=0)
    rows_total = models.PositiveIntegerField("总行数", null=True, blank=True)
    summary = models.JSONField("结果", null=True, blank=True)
    report = models.JSONField("错误报告", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import {self.id} {self.kind} {self.file_name} ({self.status})"

    def abandoned(self) -> None:
        """The upload (and its mapping file) are deleted whether the job ended or its worker died."""
        discard(Path(self.path))
        if self.options.get("mapping"):
            discard(Path(str(self.options["mapping"])))


class QACell(models.Model):
    """One km² cell of a census QA report (SPEC §5.1), shown on the map as pass/fail."""

    run = models.CharField("质检批次", max_length=64, db_index=True, help_text="import job id or CLI run stamp")
    kind = models.CharField("类型", max_length=32)
    cell = models.CharField("网格", max_length=32)
    rows = models.PositiveIntegerField("记录数")
    attribute_share = models.FloatField("属性错误率")
    position_share = models.FloatField("位置错误率")
    omission_share = models.FloatField("遗漏率")
    passed = models.BooleanField("合格")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    geom = gis_models.PolygonField("范围", srid=4490)

    class Meta:
        verbose_name = "普查质检网格"
        ordering = ["run", "cell"]

    def __str__(self) -> str:
        return f"QA {self.run} {self.cell} {'合格' if self.passed else '不合格'}"


class RowDigest(models.Model):
    """The digest of the file row a stored feature was last imported from (``importers.digests``),
    valid while the feature's ``updated_at`` is still ``stored_at``: a re-import recognises the
    unchanged rows by it and skips their conversion, validation and upsert."""

    pk = models.CompositePrimaryKey("layer", "key")
    layer = models.CharField("图层", max_length=64)
    key = models.CharField("编码", max_length=64)
    digest = models.BigIntegerField("摘要")
    stored_at = models.DateTimeField("入库时的更新时间")

    class Meta:
        verbose_name = "导入行摘要"

    def __str__(self) -> str:
        return f"{self.layer} {self.key}"
