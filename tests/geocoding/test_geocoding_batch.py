"""``gridcity geocode FILE --column 地址``: a ledger in, the same ledger with lon/lat/level/score/grid out,
and a report of the rows that found nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import GEOD, plate_point

from gridcity.cli import main

LEDGER = pd.DataFrame({"编号": ["A1", "A2", "A3", "A4", "A5"],
                       "地址": ["永安路5号", "永安路7号", "火星路8号", "", "丽华苑北门东侧20米"]})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_ledger_is_geocoded_and_the_misses_reported(addresses: SimpleNamespace, tmp_path: Path, suffix: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"ledger{suffix}"
    if suffix == ".csv":
        LEDGER.to_csv(path, index=False, encoding="gbk")  # as Excel in China saves a CSV
    else:
        LEDGER.to_excel(path, index=False)
    assert main(["geocode", str(path), "--column", "地址"]) == 0
    out = tmp_path / f"ledger.geocoded{suffix}"
    frame = (pd.read_csv(out, dtype=str, keep_default_na=False) if suffix == ".csv"
             else pd.read_excel(out, dtype=str, keep_default_na=False))
    assert list(frame.columns[:2]) == ["编号", "地址"] and frame["编号"].tolist() == LEDGER["编号"].tolist()
    assert frame["level"].tolist() == ["door_plate", "interpolated", "", "", "poi"]
    assert frame["grid_code"].tolist()[:2] == ["320982001001001"] * 2
    lon, lat = float(frame.loc[0, "lon"]), float(frame.loc[0, "lat"])
    assert GEOD.inv(lon, lat, *plate_point(5))[2] < 0.05
    report = pd.read_csv(tmp_path / "ledger.geocoded.unmatched.csv", dtype=str, keep_default_na=False)
    assert report["row"].tolist() == ["3", "4"] and "火星路8号" in report.loc[0, "reason"]
    assert "5 rows: 3 located, 2 found nothing" in capsys.readouterr().out


def test_a_missing_column_is_named(addresses: SimpleNamespace, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ledger.csv"
    LEDGER.to_csv(path, index=False)
    assert main(["geocode", str(path), "--column", "住址"]) == 1
    assert "no column '住址'" in capsys.readouterr().err
    assert not (tmp_path / "ledger.geocoded.csv").exists()
