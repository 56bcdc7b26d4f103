"""The error report of an import, as CSV (for a spreadsheet) and JSON (for programs).

One line per problem: row number (as the user sees it in the file), field, value, rule,
message, and severity (``error``: the row was rejected; ``warning``: imported, with a note such
as a repaired polygon or a stated grid that disagreed with the position).
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

from layers.spreadsheets import safe_rows

from .load import Result
from .qa import LABELS, QAReport

COLUMNS = ("row", "field", "value", "rule", "message", "severity")


def as_json(result: Result) -> dict[str, object]:
    body: dict[str, object] = {**result.summary(),
                               "errors": [dict(zip(COLUMNS, e.as_tuple(), strict=True)) for e in result.errors]}
    if result.qa is not None:
        body["qa"] = result.qa.as_json()
    return body


def qa_html(file: str, kind: str, qa: QAReport) -> str:
    """The QA report of ``file`` as a readable page: totals, then one line per km² cell, failing
    cells first (written next to the CLI's reports, served at ``/api/imports/{id}/qa.html``)."""
    e = html.escape
    limits = " / ".join(f"{v:.0%}" for v in qa.limits)
    first, second, third = (e(LABELS[m]) for m in qa.measures)
    cells = sorted(qa.cells, key=lambda c: (c["pass"], c["cell"]))
    rows = "".join(
        f"<tr class={'pass' if c['pass'] else 'fail'}><td>{e(c['cell'])}</td><td>{c['rows']}</td>"
        f"<td>{c['attribute_share']:.1%}</td><td>{c['position_share']:.1%}</td><td>{c['omission_share']:.1%}</td>"
        f"<td>{'合格' if c['pass'] else '不合格'}</td></tr>" for c in cells)
    t = qa.totals
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>普查质检报告 {e(file)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:2px 8px;text-align:right}}tr.fail{{background:#fdecea}}</style>
<h1>普查质检报告 Census QA — {e(file)}</h1>
<p>{e(kind)}, {t.get('rows', 0):,} rows in {t.get('cells', 0)} km² cells; limits ({first} / {second} /
{third}): {limits}. <b>{'合格 PASS' if qa.passed else '不合格 FAIL'}</b> —
{t.get('failed_cells', 0)} failing cells.</p>
<p>{first} {t.get('attribute_errors', 0)}, {second} {t.get('position_problems', 0)},
{third} {t.get('omitted', 0)} of {t.get('previous', 0)} previously inventoried.</p>
<table><tr><th>cell</th><th>rows</th><th>{first}</th><th>{second}</th><th>{third}</th><th>result</th></tr>
{rows}</table></html>
"""


def write(result: Result, folder: Path, stem: str) -> tuple[Path, Path]:
    """``{stem}.errors.csv`` (UTF-8 with BOM, so Excel shows the Chinese) and ``{stem}.report.json`` (with the
    QA report, when one was asked for, also as ``{stem}.qa.html``)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = folder / f"{stem}.errors.csv", folder / f"{stem}.report.json"
    with csv_path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(safe_rows(e.as_tuple() for e in result.errors))
    json_path.write_text(json.dumps(as_json(result), ensure_ascii=False, indent=1), encoding="utf-8")
    if result.qa is not None:
        (folder / f"{stem}.qa.html").write_text(qa_html(result.file, result.kind, result.qa), encoding="utf-8")
    return csv_path, json_path
