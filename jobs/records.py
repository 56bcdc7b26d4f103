"""The business record of a queued job, one table per kind (imports, offline packages, evaluation
builds): who asked, what state it is in, what came out, and which procrastinate job runs it.

procrastinate owns the queue (claiming, locks, retries, stalled workers); the record is what the
API shows and keeps after procrastinate's own row is gone.
"""

from __future__ import annotations

from django.db import models


class JobRecord(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "排队"), (RUNNING, "进行中"), (DONE, "完成"), (FAILED, "失败")]
    UNFINISHED = (QUEUED, RUNNING)

    status = models.CharField("状态", max_length=8, choices=STATUSES, default=QUEUED, db_index=True)
    error = models.JSONField("失败原因", null=True, blank=True)
    queue_job = models.BigIntegerField("队列任务", null=True, blank=True,
                                       help_text="the procrastinate job (procrastinate_jobs.id) that runs it")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        abstract = True

    def abandoned(self) -> None:
        """Clean up after a job whose worker stopped before it finished (e.g. delete its upload)."""
