"""A census streamed into an empty layer: the server checks and inserts each batch while the
importing thread reads and converts the next one.

The general path (``importers.load``) stages the whole file, then checks it, then writes the
layer: Python's work, then the server's, one after the other, while a second core could run
them side by side. Here each converted batch is handed to a worker thread, which on
the import's own connection and transaction COPYs it into the staging table, runs the kind's
rules on it (:meth:`~importers.kinds.base.Kind.validate_rows`), INSERTs its valid rows into the
layer, keeps their row numbers, keys and digests and empties the staging table, while the
importing thread converts the next batches: up to :data:`AHEAD` wait their turn, so the server,
the bound of the stream, never waits for a conversion (were the importing thread to COPY each
batch itself, both sides would wait for the COPY).

Only a kind that :attr:`~importers.kinds.base.Kind.streams` takes this path, into a layer that
``importers.indexes`` found empty and locked (the indexes are built after the rows), and never
for a dry run or with QA (QA compares the whole file with the layer as it was).

The rule over the whole file, a key given twice, runs at the end over the kept keys: every row
of such a key, each valid on its own and stored with its batch, is deleted from the layer again
(the audit log shows the insert and the delete). Then the digests of the rows stored are
remembered in one statement, as the general path remembers them. The layer and the digests end
as the general path leaves them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING

from psycopg import Cursor, sql

from layers.links import checked_after

from . import digests
from .indexes import built_after
from .kinds.base import ERRORS, KEYS, STAGE, Context, Counts, valid_rows
from .readers import BATCH_ROWS, Batch, Source, read_ahead
from .staging import Converted, Staging, convert_batch, copy_batch

if TYPE_CHECKING:
    from .load import Progress

# Rows per batch: a batch is what the worker settles while the next is converted.
STREAM_ROWS = BATCH_ROWS
# The first batch is settled in two: its first rows while the rest are converted (the server
# does not wait idle for a whole batch's conversion).
FIRST_ROWS = BATCH_ROWS // 4
# Converted batches waiting for the worker, at most (each holds its rows' values: memory stays flat).
AHEAD = 2


def census(staging: Staging, source: Source, ctx: Context, progress: Progress | None) -> tuple[int, Counts] | None:
    """Stream ``source`` into the kind's layer when it is empty and its lock could be had; returns
    (rows read, counts), or None, having read nothing, when the general path is to be taken.
    When the digest table is empty too, its key is built after the rows as the layer's indexes are;
    the layer's links are checked once, over the rows stored (``layers.links.checked_after``), not
    for each batch."""
    cur, kind = staging.cur, staging.kind
    with built_after(cur, kind.layer.table) as emptied:
        if not emptied:
            return None
        with (built_after(cur, digests.TABLE, primary_key=True) if kind.digests else nullcontext(),
              checked_after(cur, kind.layer.table)):
            return _stream(staging, source, replace(ctx, empty_layer=True), progress)


def _stream(staging: Staging, source: Source, ctx: Context, progress: Progress | None) -> tuple[int, Counts]:
    """Each batch converted here and settled on the worker thread (see the module); then the
    key-twice rule, and the digests of the rows stored."""
    cur, kind, matcher = staging.cur, staging.kind, staging.matcher
    # the staged columns each batch leaves behind, with their types
    columns = {kind.key: "text", **({"import_digest": "bigint"} if matcher is not None else {})}
    kept = [sql.Identifier(name) for name in columns]
    cur.execute(sql.SQL("CREATE TEMP TABLE {} (row_no integer, {}) ON COMMIT DROP").format(
        sql.Identifier(KEYS), sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t))
                                                 for n, t in columns.items())))
    valid_rows(cur)
    if matcher is not None:
        matcher.worth_matching()  # whether the layer has digests left from rows since deleted
    rows = inserted = 0
    with (cur.connection.cursor() as settler,
          ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridcity-import-settle") as worker,
          read_ahead(source.batches(STREAM_ROWS)) as batches):
        pending: deque[Future[int]] = deque()
        try:
            for batch in _first_split(batches):
                rows += len(batch.rows)
                converted = convert_batch(staging, batch)  # while the worker settles the batches before
                if len(pending) == AHEAD:
                    inserted += pending.popleft().result()
                pending.append(worker.submit(_settle, settler, converted, ctx, kept))
                if progress:
                    progress(len(batch.rows))
            while pending:
                inserted += pending.popleft().result()
        finally:
            for waiting in pending:  # after an error: the connection is the worker's until it is done
                if not waiting.cancel():
                    waiting.exception()
    inserted -= _reject_repeated_keys(cur, ctx)
    if matcher is not None:
        # Every kept row without an error was inserted (the key-twice rule rejected the repeated
        # ones): the statement's ``now()`` is their ``updated_at``.
        digests.remember(cur, kind, KEYS, first=matcher.first, inserted=inserted, valid_count=inserted)
    return rows, Counts(inserted=inserted)


def _first_split(batches: Iterator[Batch]) -> Iterator[Batch]:
    """``batches``, the first one in two: its :data:`FIRST_ROWS` rows, then the others."""
    for number, batch in enumerate(batches):
        if number == 0 and len(batch.rows) > FIRST_ROWS:
            yield batch.slice(0, FIRST_ROWS)
            yield batch.slice(FIRST_ROWS, len(batch.rows))
        else:
            yield batch


def _settle(cur: Cursor, converted: Converted, ctx: Context, kept: list[sql.Identifier]) -> int:
    """On the worker thread: stage the batch, check it, insert its valid rows, keep the ``kept``
    columns of its rows, and empty the staging table for the next batch. Returns the rows inserted."""
    copy_batch(cur, converted)
    ctx = replace(ctx, placed=converted.placed)
    ctx.kind.validate_rows(cur, ctx)
    inserted = ctx.kind.insert_valid(cur, ctx)
    cur.execute(sql.SQL("INSERT INTO {keys} SELECT row_no, {kept} FROM {stage}; TRUNCATE {stage}").format(
        keys=sql.Identifier(KEYS), kept=sql.SQL(", ").join(kept), stage=sql.Identifier(STAGE)))
    return inserted


def _reject_repeated_keys(cur: Cursor, ctx: Context) -> int:
    """The key-twice rule over the whole file, which no batch ran; the rows of a repeated key,
    stored with their batches, are deleted. Returns how many rows were deleted."""
    kind, layer = ctx.kind, ctx.kind.layer
    if not kind.validate_file(cur, ctx, source=KEYS):
        return 0
    cur.execute(sql.SQL("DELETE FROM {} WHERE {} IN (SELECT value FROM {} WHERE rule = 'unique_in_file')").format(
        sql.Identifier(layer.table), sql.Identifier(layer.column(kind.key)), sql.Identifier(ERRORS)))
    return cur.rowcount
