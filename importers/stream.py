"""A census streamed into an empty layer: the server checks and inserts each batch while the
importing thread reads and converts the next one.

The general path (``importers.load``) stages the whole file, then checks it, then writes the
layer: for the demo district's GeoPackage 1 s of Python, then 1.9 s of SQL, one after the other
on a machine with two cores. Here each batch is COPYed into the staging table and handed to a
worker thread, which on the import's own connection and transaction runs the kind's rules on it
(:meth:`~importers.kinds.base.Kind.validate_rows`), INSERTs its valid rows into the layer,
remembers their digests, keeps their keys and empties the staging table, while the importing
thread converts the next batch. The importing thread waits for the worker only to COPY (a
connection does one thing at a time).

Only a kind that :attr:`~importers.kinds.base.Kind.streams` takes this path, into a layer that
``importers.indexes`` found empty and locked (the indexes are built after the rows), and never
for a dry run or with QA (QA compares the whole file with the layer as it was).

The rule over the whole file, a key given twice, runs at the end over the kept keys: every row
of such a key, each valid on its own and stored with its batch, is deleted from the layer again
(the audit log shows the insert and the delete), and its digest forgotten. The layer ends as the
general path leaves it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from psycopg import Cursor, errors, sql

from . import digests
from .indexes import built_after
from .kinds.base import ERRORS, KEYS, STAGE, VALID, Context, Counts, valid_rows
from .readers import BATCH_ROWS, Source, read_ahead
from .staging import Staging, convert_batch, copy_batch

if TYPE_CHECKING:
    from .load import Progress

# Rows per batch: a batch is what the worker settles while the next is converted.
STREAM_ROWS = BATCH_ROWS


def census(staging: Staging, source: Source, ctx: Context, progress: Progress | None) -> tuple[int, Counts] | None:
    """Stream ``source`` into the kind's layer when it is empty and its lock could be had; returns
    (rows read, counts), or None, having read nothing, when the general path is to be taken."""
    cur, kind = staging.cur, staging.kind
    with built_after(cur, kind.layer.table) as emptied:
        if not emptied:
            return None
        ctx = replace(ctx, empty_layer=True)
        cur.execute(sql.SQL("CREATE TEMP TABLE {} (row_no integer, {} text) ON COMMIT DROP").format(
            sql.Identifier(KEYS), sql.Identifier(kind.key)))
        valid_rows(cur)
        if staging.matcher is not None:
            staging.matcher.worth_matching()  # whether the layer has digests left from rows since deleted
        rows = inserted = 0
        with (cur.connection.cursor() as settler,
              ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridcity-import-settle") as worker,
              read_ahead(source.batches(STREAM_ROWS)) as batches):
            pending: Future[int] | None = None
            try:
                for batch in batches:
                    rows += len(batch.rows)
                    converted = convert_batch(staging, batch)  # while the worker settles the batch before
                    if pending is not None:
                        inserted += pending.result()
                    copy_batch(cur, converted)
                    pending = worker.submit(_settle, settler, ctx, staging.matcher)
                    if progress:
                        progress(len(batch.rows))
                if pending is not None:
                    inserted += pending.result()
            finally:
                if pending is not None and not pending.done():
                    pending.exception()  # the connection is the worker's until it is done
        inserted -= _reject_repeated_keys(cur, ctx)
    return rows, Counts(inserted=inserted)


def _settle(cur: Cursor, ctx: Context, matcher: digests.Matcher | None) -> int:
    """On the worker thread: check the staged batch, insert its valid rows, remember their digests,
    keep its keys, and empty the staging table for the next batch. Returns the rows inserted."""
    kind = ctx.kind
    kind.validate_rows(cur, ctx)
    inserted = kind.insert_valid(cur, ctx)
    if matcher is not None:
        _remember(cur, ctx, matcher, inserted)
    cur.execute(sql.SQL("INSERT INTO {keys} SELECT row_no, {key} FROM {stage}; TRUNCATE {stage}").format(
        keys=sql.Identifier(KEYS), key=sql.Identifier(kind.key), stage=sql.Identifier(STAGE)))
    return inserted


def _remember(cur: Cursor, ctx: Context, matcher: digests.Matcher, inserted: int) -> None:
    """The batch's digests, as the general path remembers them (``digests.remember``), unless its
    rows repeat a key: then the digest table refuses them (a key twice in one statement, or a key
    an earlier batch remembered), and the batch is left without digests. Its rows are imported
    all the same, and the next import of the corrected file takes the full path for them."""
    cur.execute("SAVEPOINT gridcity_stream_digests")
    try:
        # every valid row of the batch was inserted: the statement's ``now()`` stamps them all
        digests.remember(cur, ctx.kind, VALID, first=matcher.first, inserted=inserted, valid_count=inserted)
    except (errors.UniqueViolation, errors.CardinalityViolation):
        cur.execute("ROLLBACK TO SAVEPOINT gridcity_stream_digests")
    cur.execute("RELEASE SAVEPOINT gridcity_stream_digests")


def _reject_repeated_keys(cur: Cursor, ctx: Context) -> int:
    """The key-twice rule over the whole file, which no batch ran; the rows of a repeated key,
    stored with their batches, are deleted, their digests forgotten. Returns how many rows were deleted."""
    kind, layer = ctx.kind, ctx.kind.layer
    if not kind.validate_file(cur, ctx, source=KEYS):
        return 0
    repeated = sql.SQL("SELECT value FROM {} WHERE rule = 'unique_in_file'").format(sql.Identifier(ERRORS))
    if kind.digests:
        cur.execute(sql.SQL("DELETE FROM importers_rowdigest WHERE layer = %s AND key IN ({})").format(repeated),
                    [layer.name])
    cur.execute(sql.SQL("DELETE FROM {} WHERE {} IN ({})").format(
        sql.Identifier(layer.table), sql.Identifier(layer.column(kind.key)), repeated))
    return cur.rowcount
