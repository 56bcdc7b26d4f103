"""Batch geocoding of a ledger (CSV or XLSX): one column of addresses in, lon/lat/level/score/grid out.

The file is read whole with pandas (every cell as text; a CSV as UTF-8, with or without BOM, or
GBK as Excel in China writes it), each distinct address geocoded once on one database connection
(ledgers repeat addresses), and written beside the input with the original columns first. The rows
that found nothing are returned with the reason, for a report the surveyor can work through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from psycopg import Cursor

from layers.access import Actor

from . import coords, forward, lookup
from .errors import BadBatchFile, BadQuery
from .regions import Gazetteer

OUTPUT_COLUMNS = ("lon", "lat", "level", "score", "grid_code", "standard_address")


@dataclass(frozen=True)
class Unmatched:
    row: int  # 1-based data row (the header is row 0), as a spreadsheet user counts after the header
    address: str
    reason: str


def read(path: Path, column: str) -> pd.DataFrame:
    """The table, every cell as text; refuses an unreadable file or one without ``column``."""
    if not path.is_file():
        raise BadBatchFile(f"{path}: no such file", field="file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix in (".csv", ".txt"):
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except UnicodeDecodeError:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gbk")
        else:
            raise BadBatchFile(f"{path.name}: a batch file is .csv or .xlsx, not {suffix or 'without suffix'}",
                               field="file")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise BadBatchFile(f"{path.name} cannot be read as a table: {exc}", field="file") from None
    if column not in frame.columns:
        raise BadBatchFile(f"{path.name} has no column {column!r}; its columns: {', '.join(map(str, frame.columns))}",
                           field="column")
    return frame


def geocode_frame(cur: Cursor, frame: pd.DataFrame, column: str, actor: Actor, crs: str = "EPSG:4490",
                  area: str = "", progress: Callable[[int], object] | None = None) -> tuple[pd.DataFrame,
                                                                                            list[Unmatched]]:
    """``frame`` with the output columns added (empty where nothing was found) and the unmatched rows."""
    gaz = Gazetteer.from_units(lookup.admin_units(cur))
    answers: dict[str, tuple[list[object], str | None]] = {}
    values: list[list[object]] = []
    unmatched: list[Unmatched] = []
    for row, address in enumerate(frame[column].tolist(), start=1):
        text = str(address).strip()
        if text not in answers:
            answers[text] = _answer(cur, text, actor, crs, area, gaz)
        out, reason = answers[text]
        values.append(out)
        if reason is not None:
            unmatched.append(Unmatched(row, text, reason))
        if progress is not None:
            progress(1)
    added = pd.DataFrame(values, columns=list(OUTPUT_COLUMNS), index=frame.index)
    return pd.concat([frame.drop(columns=[c for c in OUTPUT_COLUMNS if c in frame.columns]), added], axis=1), unmatched


def _answer(cur: Cursor, text: str, actor: Actor, crs: str, area: str,
            gaz: Gazetteer) -> tuple[list[object], str | None]:
    empty: list[object] = [None] * len(OUTPUT_COLUMNS)
    if not text:
        return empty, "the address cell is empty"
    if len(text) > forward.parse.MAX_LENGTH:
        return empty, f"the address has {len(text)} characters; at most {forward.parse.MAX_LENGTH}"
    try:
        result = forward.geocode(cur, text, actor, 1, area, gaz)
    except BadQuery as exc:
        return empty, exc.message
    if not result.candidates:
        return empty, result.reason or "nothing found"
    best = result.candidates[0]
    lon, lat = coords.from_storage(best.lon, best.lat, crs)
    grid = best.place.unit_grid if best.place else None
    return [lon, lat, best.level, round(best.score, 3), grid, best.address], None


def write(frame: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() in (".xlsx", ".xlsm"):
        frame.to_excel(out, index=False)
    else:
        frame.to_csv(out, index=False, encoding="utf-8-sig")


def write_unmatched(unmatched: list[Unmatched], out: Path) -> None:
    pd.DataFrame([(u.row, u.address, u.reason) for u in unmatched],
                 columns=["row", "address", "reason"]).to_csv(out, index=False, encoding="utf-8-sig")


def output_path(path: Path) -> Path:
    """ledger.xlsx → ledger.geocoded.xlsx (same format)."""
    return path.with_name(f"{path.stem}.geocoded{path.suffix}")
