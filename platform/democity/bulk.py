"""Set-based writing through psycopg 3: COPY rows into a table, and temporary staging tables.

Identifiers are composed with ``psycopg.sql`` (they come from model ``_meta``, never from input);
geometries travel as hex EWKB, which PostGIS reads directly in COPY text format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import shapely
from django.db.models import Model
from psycopg import Cursor, sql


def ewkb(geoms: Sequence[shapely.Geometry] | np.ndarray, srid: int) -> list[str]:
    """Hex EWKB (with the SRID) of each geometry, in one vectorised call."""
    tagged = shapely.set_srid(np.asarray(geoms, dtype=object), srid)
    return shapely.to_wkb(tagged, hex=True, include_srid=True).tolist()


def columns(model: type[Model], *fields: str) -> list[str]:
    """The database columns of ``fields`` (``community`` → ``community_id`` for a foreign key)."""
    return [model._meta.get_field(f).column for f in fields]


def copy_rows(cur: Cursor, table: str, names: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Stream ``rows`` into ``table`` (``names`` in order) with one COPY."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def staging(cur: Cursor, name: str, definition: dict[str, str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """A temporary table ``name`` (column → SQL type) filled with ``rows``, dropped on leaving (on an
    error the enclosing transaction's rollback takes it away with everything else).

    For tables whose stored columns are computed in SQL (areas, lengths) or resolved by a join
    (a road's id, a user's id): COPY into the stage, then one ``INSERT … SELECT``.
    """
    create = sql.SQL("CREATE TEMP TABLE {} ({})").format(
        sql.Identifier(name),
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in definition.items()),
    )
    cur.execute(create)
    copy_rows(cur, name, list(definition), rows)
    yield name
    cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
