"""Reading descriptions without the database: normalisation, the grammar, name scores, region prefixes."""

from __future__ import annotations

import pytest

from geocoding import parse, rank
from geocoding.regions import Gazetteer


@pytest.mark.parametrize("raw, text", [
    ("永安路一百一十號", "永安路110号"),
    ("永安路二十三号东侧五十米", "永安路23号东侧50米"),
    ("麗華苑北門　東側２０米", "丽华苑北门东侧20米"),
    ("三圩村四岸路8号", "三圩村四岸路8号"),  # numerals inside names stay
])
def test_normalise(raw: str, text: str) -> None:
    assert parse.normalise(raw) == text


@pytest.mark.parametrize("text, anchor, word, metres, corner", [
    ("永安路18号东侧50米", "永安路18号", "东", 50.0, False),
    ("南阳小学往北100米", "南阳小学", "北", 100.0, False),
    ("丽华苑北门东北方向约80米", "丽华苑北门", "东北", 80.0, False),
    ("丽华苑西南角", "丽华苑", "西南", None, True),
    ("东方路18号", "东方路18号", None, None, False),
    ("前进路5号旁", "前进路5号", "旁", None, False),
])
def test_split_tail(text: str, anchor: str, word: str | None, metres: float | None, corner: bool) -> None:
    tail = parse.split_tail(text)
    assert tail.anchor == anchor
    if word is None:
        assert tail.direction is None
    else:
        assert tail.direction is not None
        assert (tail.direction.word, tail.direction.distance_m, tail.direction.corner) == (word, metres, corner)


def test_plate_and_intersection_forms() -> None:
    assert parse.plate("永安路18-2号3幢") == parse.PlateRef("永安路", 18, 2, "3幢")
    assert parse.plate("丽华苑") is None
    assert parse.intersection("永安路和南阳路路口") == ("永安路", "南阳路")
    assert parse.intersection("永安路南阳路十字路口") == "永安路南阳路"
    assert parse.intersection("永安路18号") is None


@pytest.mark.parametrize("written, stored, accepted", [
    ("丽华苑", "丽华苑", True), ("丽花苑", "丽华苑", True), ("丽华小区", "丽华苑", True),
    ("丽华苑小区", "丽华苑", True),
    ("永安路", "永安路西段", True), ("南杨小学", "南阳小学", True),
    ("永宁路", "永安路", False), ("长安街", "永安街", False), ("幸福中学", "幸福小学", False),
    ("永安路东段", "永安路西段", False), ("永路", "永安路", False),
])
def test_precision_before_recall_in_name_scores(written: str, stored: str, accepted: bool) -> None:
    assert (rank.score(written, stored) >= 0.6) is accepted


def test_region_prefixes() -> None:
    gaz = Gazetteer.from_units([("320982", "大丰区"), ("320982001", "大中街道"), ("320982001003", "幸福社区")])
    assert gaz.strip("大丰永安路5号").code == "320982"
    assert gaz.strip("大丰路5号").code == ""  # a road named after the district is not the district
    assert gaz.strip("江苏盐城大中街道永安路5号").code == "320982001"
    assert gaz.strip("东台市永安路5号").foreign == "东台市"
    assert gaz.full_name("320982001003") == "江苏省盐城市大丰区大中街道幸福社区"
