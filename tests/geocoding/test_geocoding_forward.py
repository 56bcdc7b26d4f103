"""Forward geocoding on hand-made roads with known plates: every form of SPEC §5.3 lands on the right
place within metres, and names that exist nowhere give no candidate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import CROSSING, GEOD, plate_point

URL = "/api/geocode/"


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def ask(city: SimpleNamespace, q: str, role: str = "dispatcher", **params: str) -> dict:
    response = city.clients[role].get(URL, {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def top(city: SimpleNamespace, q: str, **params: str) -> dict:
    body = ask(city, q, **params)
    assert body["candidates"], f"{q}: {body['reason']}"
    return body["candidates"][0]


def point(candidate: dict) -> tuple[float, float]:
    return candidate["lon"], candidate["lat"]


@pytest.mark.parametrize("q", ["永安路5号", "永安路５號", "永安路五号", "永 安 路 5 号", "永按路5号"])
def test_a_plate_is_found_exactly_in_any_writing(addresses: SimpleNamespace, q: str) -> None:
    best = top(addresses, q)
    assert best["level"] == "door_plate"
    assert distance(point(best), plate_point(5)) < 0.01
    assert best["matched"]["code"] == "MP-永安路-5"
    assert best["unit_grid"] == {"code": "320982001001001"}
    assert best["community"] == {"code": "320982001001", "name": "一社区"}
    assert best["street"] == {"code": "320982001", "name": "西街道"}
    assert best["address"] == "江苏省盐城市大丰区西街道永安路5号"


def test_the_typo_is_scored_below_the_exact_name(addresses: SimpleNamespace) -> None:
    assert top(addresses, "永按路5号")["score"] < top(addresses, "永安路5号")["score"] == 1.0


def test_a_numeral_in_chinese_reads_as_digits(addresses: SimpleNamespace) -> None:
    best = top(addresses, "永安路十一号")
    assert best["level"] == "door_plate" and distance(point(best), plate_point(11)) < 0.01


def test_a_missing_number_is_interpolated_between_its_own_sides_neighbours(addresses: SimpleNamespace) -> None:
    best = top(addresses, "永安路7号")
    assert best["level"] == "interpolated"
    assert best["detail"]["between"] == ["5号", "9号"]  # not 6号/8号 across the road
    assert distance(point(best), plate_point(7)) < 5.0  # surveyed 7号 stands 228 m along, interpolated 230 m
    assert point(best)[1] > 33.15  # on the north (odd) side


def test_a_number_past_its_sides_last_plate_is_not_invented(addresses: SimpleNamespace) -> None:
    body = ask(addresses, "永安路99号")
    assert all(c["level"] == "street" for c in body["candidates"])
    assert "99号" in body["candidates"][0]["detail"]["number_not_placed"]


def test_a_road_without_plates_falls_back_to_its_number_range(addresses: SimpleNamespace) -> None:
    best = top(addresses, "南阳路二十三号")  # left side (odd) 1–99 of a line running south → north
    assert best["level"] == "interpolated" and best["detail"]["method"] == "range"
    lon, lat, _ = GEOD.fwd(120.425, 33.12, 0.0, GEOD.inv(120.425, 33.12, 120.425, 33.18)[2] * 22 / 98)
    lon, lat, _ = GEOD.fwd(lon, lat, 270.0, 10.0)  # left of a northward line is west
    assert distance(point(best), (lon, lat)) < 2.0


@pytest.mark.parametrize("q, kind", [("永安街5号", "alias"), ("解放路5号", "old_name")])
def test_aliases_and_old_names_of_a_street(addresses: SimpleNamespace, q: str, kind: str) -> None:
    best = top(addresses, q)
    assert best["level"] == "door_plate" and distance(point(best), plate_point(5)) < 0.01
    assert best["matched"]["name_kind"] == kind


@pytest.mark.parametrize("q", ["永安路与南阳路交叉口", "永安路和南阳路路口", "永安路南阳路交叉口",
                               "南阳路永安路十字路口", "永安路、南阳路交汇处", "永安路与南阳路丁字路口"])
def test_intersections(addresses: SimpleNamespace, q: str) -> None:
    best = top(addresses, q)
    assert best["level"] == "intersection"
    assert distance(point(best), CROSSING) < 1.0


def test_streets_that_never_meet_give_no_intersection(addresses: SimpleNamespace) -> None:
    body = ask(addresses, "永安路与幸福巷交叉口", role="admin")
    assert body["candidates"] == [] and body["reason"]


@pytest.mark.parametrize("q, bearing, metres", [("永安路5号东侧50米", 90.0, 50.0), ("永安路5号往北100米", 0.0, 100.0),
                                               ("永安路5号东北方向约80米", 45.0, 80.0),
                                               ("永安路5号西南30米，路灯不亮", 225.0, 30.0)])
def test_a_direction_and_distance_from_the_anchor(addresses: SimpleNamespace, q: str, bearing: float,
                                                  metres: float) -> None:
    best = top(addresses, q)
    azimuth, _, dist = GEOD.inv(*plate_point(5), *point(best))
    assert abs(dist - metres) < 0.05 and abs((azimuth - bearing + 180) % 360 - 180) < 0.1
    assert best["detail"]["anchor"]["name"] == "永安路5号"


def test_a_note_after_the_direction_is_kept(addresses: SimpleNamespace) -> None:
    body = ask(addresses, "永安路5号西南30米，路灯不亮")
    assert body["parsed"]["note"] == "路灯不亮" and body["candidates"][0]["detail"]["note"] == "路灯不亮"


def test_a_gate_and_an_offset_from_it(addresses: SimpleNamespace) -> None:
    gate = top(addresses, "丽华苑北门")
    assert gate["level"] == "poi" and distance(point(gate), (120.432, 33.155)) < 0.01
    moved = top(addresses, "丽华小区北门东侧20米")  # the estate by its alias, then its gate
    assert abs(distance(point(moved), (120.432, 33.155)) - 20.0) < 0.05


def test_a_zones_corner(addresses: SimpleNamespace) -> None:
    assert distance(point(top(addresses, "丽华苑西南角")), (120.430, 33.152)) < 0.01


@pytest.mark.parametrize("q", ["丽华苑", "丽华苑小区", "丽华小区", "化肥厂宿舍", "丽花苑"])
def test_a_zone_by_name_alias_old_name_redundant_suffix_homophone(addresses: SimpleNamespace, q: str) -> None:
    best = top(addresses, q)
    assert best["level"] == "zone" and best["matched"]["code"] == "DP001"


def test_a_poi(addresses: SimpleNamespace) -> None:
    best = top(addresses, "南阳小学")
    assert best["level"] == "poi" and distance(point(best), (120.427, 33.16)) < 0.01


@pytest.mark.parametrize("q", ["江苏省盐城市大丰区永安路5号", "大丰区西街道永安路5号", "盐城大丰永安路5号",
                               "江苏省盐城市大丰区西街道一社区永安路5号", "大丰永安路5号"])
def test_region_prefixes_in_any_completeness(addresses: SimpleNamespace, q: str) -> None:
    best = top(addresses, q)
    assert best["level"] == "door_plate" and distance(point(best), plate_point(5)) < 0.01


def test_a_region_alone_is_the_region(addresses: SimpleNamespace) -> None:
    best = top(addresses, "大丰区西街道")
    assert best["level"] == "region" and best["matched"]["code"] == "320982001"


def test_a_region_prefix_that_excludes_the_place_gives_nothing(addresses: SimpleNamespace) -> None:
    assert ask(addresses, "东街道永安路5号")["candidates"] == []
    foreign = ask(addresses, "南京市玄武区永安路5号")
    assert foreign["candidates"] == [] and "南京市" in foreign["reason"]


@pytest.mark.parametrize("q", ["火星路8号", "长安街1号", "永宁路5号", "月亮湾小区", "南阳中学", "人民广场东侧50米"])
def test_names_that_exist_nowhere_give_no_candidate_and_a_reason(addresses: SimpleNamespace, q: str) -> None:
    body = ask(addresses, q, role="admin")
    assert body["candidates"] == [] and body["reason"]


def test_the_area_parameter_narrows(addresses: SimpleNamespace) -> None:
    assert ask(addresses, "永安路5号", area="320982002")["candidates"] == []
    assert ask(addresses, "永安路5号", area="320982001001")["candidates"]


def test_the_output_crs(addresses: SimpleNamespace) -> None:
    plain = top(addresses, "永安路5号")
    mars = top(addresses, "永安路5号", crs="gcj02")
    baidu = top(addresses, "永安路5号", crs="bd09")
    assert 100 < distance(point(plain), point(mars)) < 1000  # the GCJ-02 offset is a few hundred metres
    assert distance(point(mars), point(baidu)) > 100
    assert distance(point(plain), point(top(addresses, "永安路5号", crs="EPSG:4326"))) < 0.5


def test_limit_caps_the_candidates(addresses: SimpleNamespace) -> None:
    assert len(ask(addresses, "永安路", limit="1")["candidates"]) == 1


def test_jurisdiction_applies(addresses: SimpleNamespace) -> None:
    # planner1's jurisdiction is the east street: the west street's plates are not theirs to find
    assert ask(addresses, "永安路5号", role="planner")["candidates"] == []
    east = ask(addresses, "幸福巷1号", role="planner")["candidates"]
    assert east and east[0]["level"] == "door_plate" and east[0]["street"]["code"] == "320982002"
    assert addresses.anonymous.get(URL, {"q": "永安路5号"}).status_code == 401


def test_an_account_without_a_jurisdiction_finds_nothing(addresses: SimpleNamespace, client_for) -> None:
    from accounts.models import User

    nowhere = client_for(User.objects.create(username="geo-nowhere", role="dispatcher", jurisdiction_code=""))
    for url, params in ((URL, {"q": "永安路5号"}), (URL + "reverse/", {"lon": 120.5251, "lat": 33.1503})):
        refused = nowhere.get(url, params)
        assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "jurisdiction", refused.content

