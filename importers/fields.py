"""Typed import fields and the conversion of raw cell values to them, with row-level errors.

A value that cannot be converted becomes NULL in the staging table and an entry in the error
report (row, field, value, rule, message); the row is then rejected, never half-imported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
SQL_TYPES = {"text": "text", "date": "date", "int": "bigint", "float": "double precision"}


@dataclass(frozen=True)
class Field:
    """One import field: its staging/model column, type, limits and label for messages."""

    name: str
    label: str
    type: str = "text"
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_rule: str = "code_format"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass
class RowError:
    row: int
    field: str
    value: str
    rule: str
    message: str
    severity: str = "error"

    def as_tuple(self) -> tuple[int, str, str, str, str, str]:
        return self.row, self.field, self.value, self.rule, self.message, self.severity


def text(value: Any) -> str | None:
    """A cell as trimmed text (``None`` when empty); integral floats lose their ``.0`` (DBF numbers)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            return str(int(value))
    out = str(value).strip()
    return out or None


def parse_date(value: str) -> dt.date:
    """``2021-03-01``, ``2021/3/1``, ``2021年3月1日``, ``20210301`` (a time part is dropped)."""
    match = _DATE.match(value) or _COMPACT_DATE.match(value)
    if not match:
        raise ValueError(value)
    return dt.date(*(int(g) for g in match.groups()))


def convert(field: Field, raw: list, rows: list[int], errors: list[RowError]) -> list:
    """The column ``raw`` converted to ``field``'s type; failures appended to ``errors`` as NULLs.

    A column of text cells (what GIS files and CSV give) is converted once per distinct value
    (``pandas.factorize``), the result and any error spread back to its rows; other columns
    (numbers, dates, mixed spreadsheet cells) cell by cell.
    """
    column = np.asarray(raw, dtype=object) if len(raw) else np.empty(0, dtype=object)
    if column.ndim == 1 and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        return _convert_text(field, column, rows, errors)
    return _convert_cells(field, raw, rows, errors)


def _convert_text(field: Field, column: np.ndarray, rows: list[int], errors: list[RowError]) -> list:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return convert_distinct(field, codes, uniques, rows, errors)


def convert_distinct(field: Field, codes: np.ndarray, uniques: Sequence[str], rows: list[int],
                     errors: list[RowError]) -> list:
    """A text column given as each row's code (-1: an empty cell) into its distinct ``uniques``,
    converted as :func:`convert` converts text: once per distinct value, spread back to its rows."""
    pattern = re.compile(field.pattern) if field.pattern else None
    converted: list[object] = [cell.strip() or None for cell in uniques]
    problems: dict[int, RowError] = {}
    for i in _to_check(field, converted, pattern):
        value = converted[i]
        if value is None:
            continue
        try:
            typed = _typed(field, value)
        except ValueError:
            problems[i] = RowError(0, field.name, str(value), field.type,
                                   f"{field.label} {value!r} is not a valid {_TYPE_NAMES[field.type]}")
            converted[i] = None
            continue
        problem = _limits(field, typed, pattern)
        if problem:
            problems[i] = RowError(0, field.name, str(value), *problem)
            typed = None
        converted[i] = typed
    if problems:
        bad = np.isin(codes, np.fromiter(problems, dtype=codes.dtype, count=len(problems)))
        for j in np.flatnonzero(bad):
            found = problems[int(codes[j])]
            errors.append(RowError(rows[j], found.field, found.value, found.rule, found.message))
    lookup = np.empty(len(converted) + 1, dtype=object)
    lookup[:-1] = converted
    lookup[-1] = None  # code -1: an empty cell
    return lookup[codes].tolist()


def _to_check(field: Field, values: list, pattern: re.Pattern | None) -> Iterable[int]:
    """Which distinct trimmed ``values`` need :func:`_typed` and :func:`_limits`: all of them for a
    typed field; for text only those too long, not among the choices or not matching the pattern,
    found in one pass (a census's codes and names are mostly distinct: a call per value costs)."""
    if field.type != "text":
        return range(len(values))
    longest, choices = field.max_length or 0, set(field.choices)
    match = pattern.fullmatch if pattern else None
    return [i for i, v in enumerate(values) if v is not None and (
        (longest and len(v) > longest) or (choices and v not in choices) or (match and not match(v)))]


def _convert_cells(field: Field, raw: list, rows: list[int], errors: list[RowError]) -> list:
    out: list = []
    cache: dict[str | dt.date, object] = {}
    pattern = re.compile(field.pattern) if field.pattern else None
    for row, cell in zip(rows, raw, strict=True):
        value = cell if isinstance(cell, dt.date) and field.type == "date" else text(cell)
        if value is None:
            out.append(None)
            continue
        try:
            converted = cache[value] if value in cache else _typed(field, value)
        except ValueError:
            errors.append(RowError(row, field.name, str(value), field.type,
                                   f"{field.label} {value!r} is not a valid {_TYPE_NAMES[field.type]}"))
            out.append(None)
            continue
        cache[value] = converted
        problem = _limits(field, converted, pattern)
        if problem:
            errors.append(RowError(row, field.name, str(value), *problem))
            converted = None
        out.append(converted)
    return out


_TYPE_NAMES = {"text": "text", "date": "date (YYYY-MM-DD)", "int": "whole number", "float": "number"}


def _typed(field: Field, value: Any) -> object:
    if field.type == "date":
        return value if isinstance(value, dt.date) else parse_date(value)
    if field.type == "int":
        number = float(value)
        if not number.is_integer():
            raise ValueError(value)
        return int(number)
    if field.type == "float":
        return float(value)
    return value


def _limits(field: Field, value: object, pattern: re.Pattern | None) -> tuple[str, str] | None:
    if field.max_length and isinstance(value, str) and len(value) > field.max_length:
        return "max_length", f"{field.label} has {len(value)} characters; at most {field.max_length}"
    if field.choices and value not in field.choices:
        return "choice", f"{field.label} {value!r} is not one of {'、'.join(field.choices)}"
    if pattern and isinstance(value, str) and not pattern.fullmatch(value):
        return field.pattern_rule, f"{field.label} {value!r} must match {field.pattern}"
    if field.type in ("int", "float") and isinstance(value, (int, float)) and value < 0:
        return "minimum", f"{field.label} must not be negative"
    return None
