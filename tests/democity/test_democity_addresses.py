"""The demo district's addresses: plates numbered along each road, odd on the left and even on the
right (左单右双), unevenly spaced with gaps; street ranges, aliases and old names; estates with gates;
and, once loaded, every plate and POI in the unit grid under it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from django.db import connection

from democity.generate import City, generate_city
from democity.load import load_city


@pytest.fixture(scope="module")
def small_city() -> City:
    return generate_city(scale=0.01)


def test_plates_are_numbered_along_the_road_odd_left_even_right(small_city: City) -> None:
    streets, plates = small_city.addresses.streets, small_city.addresses.plates
    assert 3000 < len(plates.codes) < 8000 and len(set(plates.codes)) == len(plates.codes)
    checked = 0
    gapped: list[bool] = []
    for i, line in enumerate(streets.lines):
        mine = plates.street == i
        if mine.sum() < 10:
            continue
        along = shapely.line_locate_point(line, plates.points[mine])
        foot = shapely.get_coordinates(shapely.line_interpolate_point(line, along))
        tangent = (shapely.get_coordinates(shapely.line_interpolate_point(line, along + 1e-5))
                   - shapely.get_coordinates(shapely.line_interpolate_point(line, along - 1e-5)))
        rel = shapely.get_coordinates(plates.points[mine]) - foot
        left = tangent[:, 0] * rel[:, 1] - tangent[:, 1] * rel[:, 0] > 0  # cross product: left of the direction
        numbers = plates.numbers[mine]
        assert (numbers[left] % 2 == 1).all() and (numbers[~left] % 2 == 0).all()
        for side in (left, ~left):
            assert (np.diff(numbers[side][np.argsort(along[side])]) > 0).all()  # numbers grow along the road
            gapped.append(bool((np.diff(np.sort(numbers[side])) > 2).any()))  # some numbers missing
        checked += 1
    assert checked > 10
    assert sum(gapped) > 0.6 * len(gapped)  # most sides miss a number or more (8 % of numbers go missing)


def test_spacing_is_uneven_and_streets_carry_ranges_aliases_and_old_names(small_city: City) -> None:
    a = small_city.addresses
    assert any(a.streets.aliases) and any(a.streets.old_names)
    assert (a.streets.ranges[:, 0] == 1).all() and (a.streets.ranges[:, 2] == 2).all()
    assert set(a.plates.street_names) - set(a.streets.names) <= {n for olds in a.streets.old_names for n in olds}
    street = int(np.bincount(a.plates.street).argmax())
    pts = shapely.get_coordinates(a.plates.points[(a.plates.street == street) & (a.plates.numbers % 2 == 1)])
    gaps = np.hypot(*np.diff(pts, axis=0).T)
    assert gaps.std() > 0.2 * gaps.mean()


def test_estates_have_gates_and_pois_are_of_the_usual_kinds(small_city: City) -> None:
    zones, pois = small_city.addresses.zones, small_city.addresses.pois
    assert len(zones.names) == len(set(zones.names)) >= 40 and any(zones.aliases) and any(zones.old_names)
    gates = [n for n in pois.names if n.endswith(("北门", "南门", "东门", "西门"))]
    assert {g[:-2] for g in gates} <= set(zones.names) and len(gates) >= len(zones.names)
    usual = {"学校", "医院", "农贸市场", "公园", "公交站", "居委会", "街道办事处", "商店", "小区出入口"}
    assert usual <= set(pois.categories)
    assert len(pois.names) == len(set(pois.names))


def test_loaded_plates_and_pois_lie_in_their_unit_grid(db: None, small_city: City) -> None:
    counts = load_city(small_city)
    assert counts["door plates"] == len(small_city.addresses.plates.codes)
    assert counts["points of interest"] == len(small_city.addresses.pois.codes)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_doorplate d JOIN layers_unitgrid g ON g.code = d.unit_grid_id"
                    " WHERE NOT ST_Intersects(g.geom, d.geom)")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM layers_zone z JOIN layers_district d ON NOT ST_Within(z.geom, d.geom)")
        assert cur.fetchone()[0] == 0
