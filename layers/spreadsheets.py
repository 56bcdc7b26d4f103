"""Cells safe to open in a spreadsheet: every CSV and XLSX the platform writes goes through here.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
WPS and LibreOffice as a formula (``=cmd|' /C calc'!A0`` runs a program), so, as OWASP recommends
against CSV injection, such a cell is written with a leading ``'``, which makes it plain text.
Numbers, dates and empty cells are left as they are.

>>> safe_row(["=1+2", "-3", 4, "上水井盖"])
["'=1+2", "'-3", 4, '上水井盖']
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value``, with a leading ``'`` when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in row]


def safe_rows(rows: Iterable[Iterable[object]]) -> Iterable[list[object]]:
    return (safe_row(row) for row in rows)
