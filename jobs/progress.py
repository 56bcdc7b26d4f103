"""Live progress of a running job, written to its record on a connection of its own.

The job's work may hold one long transaction (an import writes everything or nothing), which the
API's readers cannot see into; the count is therefore written by a separate autocommit connection,
at most once every ``PROGRESS_SECONDS``. The final count is saved with the record when the job ends.
"""

from __future__ import annotations

import logging
import time

import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

from .records import JobRecord

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 1.0


def conninfo() -> str:
    """The default database's connection string (the settings' values, quoted by psycopg)."""
    db = settings.DATABASES["default"]
    return make_conninfo(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                         port=db["PORT"])


class Progress:
    """Counts work done (``progress(n)`` adds n) and writes the running total to ``record.<column>``."""

    def __init__(self, record: JobRecord, column: str):
        self.record, self.done, self.last = record, 0, 0.0
        self.statement = sql.SQL("UPDATE {} SET {} = %s WHERE id = %s").format(
            sql.Identifier(record._meta.db_table), sql.Identifier(record._meta.get_field(column).column))
        self.conn: psycopg.Connection | None = None
        try:
            self.conn = psycopg.connect(conninfo(), autocommit=True)
        except psycopg.Error as exc:  # e.g. no connection slot left: work anyway, progress shows at the end
            log.warning("%s %s: no live progress (%s)", record._meta.model_name, record.pk, exc)

    def __call__(self, n: int) -> None:
        self.done += n
        if self.conn is not None and time.monotonic() - self.last > PROGRESS_SECONDS:
            self.conn.execute(self.statement, [self.done, self.record.pk])
            self.last = time.monotonic()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
