"""The offline package builds (the cache tables are made by migrations/0001_initial.py in SQL).

The models module also makes Django send ``post_migrate`` for this app, which is what installs the
invalidation triggers (see ``TilesConfig.ready``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models

from jobs.records import JobRecord


class PackageBuild(JobRecord):
    """An offline package asked for over the API and built by a worker (``tiles.builds``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="package_builds")
    area = models.CharField("区域", max_length=12)
    layers = models.CharField("图层", max_length=500, help_text="comma-separated layer names")
    min_zoom = models.PositiveSmallIntegerField("最小级别")
    max_zoom = models.PositiveSmallIntegerField("最大级别")
    tiles_done = models.PositiveIntegerField("已处理瓦片", default=0)
    tiles_total = models.PositiveIntegerField("瓦片总数", default=0)
    tiles_written = models.PositiveIntegerField("有数据的瓦片", null=True, blank=True)
    data_version = models.TextField("数据版本", blank=True)
    path = models.CharField("文件", max_length=500, blank=True)

    class Meta:
        verbose_name = "离线包"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"package {self.id} {self.area} {self.layers} ({self.status})"

    def abandoned(self) -> None:
        if self.path:
            Path(self.path).unlink(missing_ok=True)
