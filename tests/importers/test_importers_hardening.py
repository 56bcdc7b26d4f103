"""Import inputs a fuzzer found unchecked (issue 19): any codec name as the ``encoding`` option, and
spreadsheet formulas echoed as-is into the error report (``errors.csv``) a user opens in Excel."""

from __future__ import annotations

import csv
import io

import pytest
from import_files import upload, write_csv
from test_importers_components import HEADER

from gridcity.cli import main as cli_main
from importers.errors import UnknownEncoding
from importers.models import ImportJob
from importers.readers import text_encoding

FORMULA = "=cmd|' /C calc'!A0"
# Rows whose rejected cells are formulas: a bad code, a bad class, a bad status, a bad date.
ROWS = [
    [FORMULA, "0101", "公式码", "完好", "", "", 120.41, 33.11],
    ["3209820101000301", "+0101", "公式类", "完好", "", "", 120.41, 33.11],
    ["3209820101000302", "0101", "公式状态", "@SUM(1)", "", "", 120.41, 33.11],
    ["3209820101000303", "0101", "公式日期", "完好", "-2+3", "", 120.41, 33.11],
]


@pytest.mark.parametrize("name", ["rot13", "zlib", "base64", "hex", "uu", "bz2", "nonsense", "utf-8\x00"])
def test_only_text_encodings_are_accepted(name: str) -> None:
    with pytest.raises(UnknownEncoding) as caught:
        text_encoding(name)
    assert caught.value.field == "encoding" and "gb18030" in caught.value.message


@pytest.mark.parametrize("name", ["utf-8", "UTF8", "gbk", "GB18030", "cp936", "latin-1", "big5"])
def test_text_encodings_and_their_aliases_are_accepted(name: str) -> None:
    assert text_encoding(name) == name


def test_an_upload_naming_a_codec_that_is_not_a_text_encoding_is_refused_before_a_job(city, tmp_path) -> None:
    path = write_csv(tmp_path / "census.csv", HEADER, ROWS[:1])
    response = upload(city.clients["admin"], path, kind="components", crs="EPSG:4490", encoding="rot13")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "encoding"
    assert not ImportJob.objects.exists()


def formula_cells(text: str) -> list[str]:
    """The ``value`` column of an errors.csv, for the rows the planted formulas were rejected in."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r["value"] for r in rows if r["value"].lstrip("'")[:1] in ("=", "+", "-", "@")]


def test_errors_csv_from_the_api_neutralises_formulas(city, imported, tmp_path) -> None:
    path = write_csv(tmp_path / "census.csv", HEADER, ROWS)
    body = imported(city.clients["admin"], path, kind="components", crs="EPSG:4490")
    assert {e["value"] for e in body["errors"]} >= {FORMULA, "+0101", "@SUM(1)"}  # the JSON keeps them as sent
    text = city.clients["admin"].get(body["errors_csv"]).content.decode("utf-8-sig")
    cells = formula_cells(text)
    assert {FORMULA, "+0101", "@SUM(1)"} <= {c.removeprefix("'") for c in cells}
    assert all(c.startswith("'") for c in cells), cells


def test_errors_csv_written_by_the_command_line_neutralises_formulas(city, tmp_path) -> None:
    path = write_csv(tmp_path / "census.csv", HEADER, ROWS)
    assert cli_main(["import", "components", str(path), "--crs", "EPSG:4490", "--report", str(tmp_path)]) == 3
    cells = formula_cells((tmp_path / "census.errors.csv").read_text(encoding="utf-8-sig"))
    assert {FORMULA, "+0101", "@SUM(1)"} <= {c.removeprefix("'") for c in cells}
    assert all(c.startswith("'") for c in cells), cells
