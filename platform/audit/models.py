"""One audit entry per written row: who, when, what (table, row, action), before and after; a
bulk INSERT's one entry names its rows' keys (migrations 0002 and 0005). Who is twofold: the
actor the application names, and the database login that wrote the entry (``db_user``), which
the database sets itself, as it sets ``at`` (migration 0008, ``sql/stamp.sql``)."""

from django.db import models


class AuditEntry(models.Model):
    at = models.DateTimeField("时间", db_index=True)
    actor = models.CharField("操作人", max_length=150, db_index=True)
    # Set by the database on INSERT (session_user); null on entries written before migration 0008.
    db_user = models.CharField("数据库账号", max_length=63, null=True, editable=False)
    action = models.CharField("操作", max_length=8)
    table_name = models.CharField("数据表", max_length=63, db_index=True)
    row_id = models.CharField("记录", max_length=64)
    before = models.JSONField("修改前", null=True)
    after = models.JSONField("修改后", null=True)

    class Meta:
        verbose_name = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["table_name", "row_id"], name="audit_audit_table_n_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.table_name}#{self.row_id}"

    @property
    def bulk_keys(self) -> list[str]:
        """The keys a bulk INSERT entry names: listed, or the run from its first to its last."""
        after = self.after or {}
        if "first" in after:
            return [str(k) for k in range(after["first"], after["last"] + 1)]
        return list(after.get("keys", []))
