"""Partition upkeep of ``fleet_fix``: day partitions made ahead, old ones detached by the retention.

Run daily (``gridcity fleet maintain``; a periodic task once the job queue exists). The ingest
also makes a missing day's partition on demand, so a late fix never fails for want of one. A
detached partition stays as a plain table ``fleet_fix_YYYYMMDD`` to archive (pg_dump) or drop.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from .ingest import ensure_partitions, refresh_layer


def maintain() -> tuple[list[str], list[str]]:
    """(partitions now present from today on, partitions detached)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    ahead = {today + timedelta(days=d) for d in range(settings.GRIDCITY_FLEET_PARTITIONS_AHEAD)}
    ensure_partitions(ahead, recheck=True)
    first_kept = today - timedelta(days=settings.GRIDCITY_FLEET_RETENTION_DAYS)
    with connection.cursor() as cur:
        cur.execute("SELECT fleet_fix_detach_before(%s)", [first_kept])
        detached = [r[0] for r in cur.fetchall()]
        refresh_layer(cur, every=0)  # no position left behind in the layer, even with no feed posting
    return sorted(f"fleet_fix_{d:%Y%m%d}" for d in ahead), detached
