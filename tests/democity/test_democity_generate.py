"""The pure generator at full scale: SPEC §1 counts, §3 codes nested by prefix, §4 tiling of the
administrative units, and every feature inside the unit grid it names — checked on the arrays and
geometries ``generate_city`` returns, with vectorised shapely (STRtree), no database."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely
from django.core.exceptions import ValidationError
from pyproj import Geod

from democity.errors import InvalidScale
from democity.generate import City, generate_city
from layers import codes
from layers.errors import GridcityError
from layers.facility_kinds import KINDS, check_attrs
from layers.models import ResponsibilityGrid

# SPEC §1, the reference district's census and facility ledger.
SPEC_STANDARD = {"01": 90_498, "02": 6_787, "03": 5_716, "04": 26_485, "05": 279}
SPEC_EXTENSION = 8_897
SPEC_FACILITIES = {"dropoff_point": 286, "transfer_station": 4, "construction_site": 33, "disposal_site": 5}
GRS80 = Geod(ellps="GRS80")  # CGCS2000's ellipsoid, to 0.1 mm


@pytest.fixture(scope="module")
def full_city() -> City:
    return generate_city()


def assert_tiles(parts: np.ndarray, labels: np.ndarray, parents: list[shapely.Geometry]) -> None:
    """``parts`` labelled 0…n-1 tile ``parents``: each part inside its parent, no two parts overlapping,
    and the parts of each parent adding up to its whole area (so no gaps either)."""
    parents_arr = np.asarray(parents, dtype=object)
    assert shapely.is_valid(parts).all() and shapely.is_valid(parents_arr).all()
    area = shapely.area(parts)
    tolerance = 1e-9 * area.mean()
    outside = area - shapely.area(shapely.intersection(parts, parents_arr[labels]))
    assert np.abs(outside).max() < tolerance, "a part sticks out of its parent"
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    pairs = left < right
    assert pairs.sum() > len(parts), "neighbouring parts should touch along shared edges"
    overlap = shapely.area(shapely.intersection(parts[left[pairs]], parts[right[pairs]]))
    assert overlap.max() < tolerance, "two parts overlap"
    per_parent = np.bincount(labels, weights=area, minlength=len(parents))
    np.testing.assert_allclose(per_parent, shapely.area(parents_arr), rtol=1e-9)


def test_component_total_and_class_mix_are_the_reference_census(full_city: City) -> None:
    classes = full_city.components.classes
    assert len(classes) == sum(SPEC_STANDARD.values()) + SPEC_EXTENSION == 138_662
    extension = np.array([int(c[2:]) >= 80 for c in classes])
    assert Counter(c[:2] for c in classes[~extension]) == SPEC_STANDARD
    assert extension.sum() == SPEC_EXTENSION
    assert len(set(classes[extension])) >= 3
    assert set(full_city.extension_classes) == set(classes[extension])


def test_grid_structure_counts_and_place(full_city: City) -> None:
    assert len(full_city.district.codes) == 1
    assert len(full_city.streets.codes) == 6
    assert len(full_city.communities.codes) == 60
    assert len(full_city.grids.codes) == 5_000
    contiguous = [len(g.geoms) == 1 for g in (*full_city.communities.geoms, *full_city.streets.geoms)]
    assert all(contiguous), "each community and street is one piece"
    district = full_city.district.geoms[0]
    area_km2 = abs(GRS80.geometry_area_perimeter(district)[0]) / 1e6
    assert 200 < area_km2 < 1_000, "a Dafeng-sized district"
    assert district.centroid.distance(shapely.Point(120.47, 33.20)) < 0.05, "around Dafeng's centre, lon/lat"


def test_codes_are_valid_unique_and_nested(full_city: City) -> None:
    for units, kind, parents in [
        (full_city.district, "district", None),
        (full_city.streets, "street", full_city.district.codes),
        (full_city.communities, "community", full_city.streets.codes),
    ]:
        for code, parent in zip(units.codes, units.parents, strict=True):
            codes.check_code(code, kind)
            if parents is not None:
                codes.check_nested(code, parent, kind)
                assert parent in parents
        assert len(set(units.codes)) == len(units.codes)
    grids = full_city.grids
    assert len(set(grids.codes)) == len(grids.codes)
    for code, community in zip(grids.codes, grids.communities, strict=True):
        codes.check_code(code, "unit_grid")
        codes.check_nested(code, community, "unit_grid")
    assert set(grids.communities) == set(full_city.communities.codes)

    components = full_city.components
    assert len(set(components.codes.tolist())) == len(components.codes)
    for code, klass in zip(components.codes.tolist(), components.classes.tolist(), strict=True):
        codes.check_component_code(code, klass, "320982")
    with pytest.raises(ValidationError):  # the check is live: a wrong class in the code is refused
        codes.check_component_code(components.codes[0], "0299", "320982")


def test_unit_grids_tile_communities_which_tile_streets_which_tile_the_district(full_city: City) -> None:
    community_index = {c: i for i, c in enumerate(full_city.communities.codes)}
    street_index = {c: i for i, c in enumerate(full_city.streets.codes)}
    grid_labels = np.array([community_index[c] for c in full_city.grids.communities])
    assert_tiles(full_city.grids.geoms, grid_labels, full_city.communities.geoms)
    community_labels = np.array([street_index[p] for p in full_city.communities.parents])
    assert_tiles(np.asarray(full_city.communities.geoms, dtype=object), community_labels, full_city.streets.geoms)
    assert_tiles(np.asarray(full_city.streets.geoms, dtype=object), np.zeros(6, dtype=int), full_city.district.geoms)


def _containing_grid(city: City, geoms: np.ndarray) -> np.ndarray:
    """The code of the one unit grid containing each geometry's representative point."""
    probe = shapely.point_on_surface(geoms)
    feature, grid = shapely.STRtree(city.grids.geoms).query(probe, predicate="within")
    assert np.array_equal(feature, np.arange(len(geoms))), "each feature lies within exactly one grid"
    return np.asarray(city.grids.codes)[grid]


def test_every_component_lies_in_the_unit_grid_it_names(full_city: City) -> None:
    components = full_city.components
    assert set(shapely.get_type_id(components.geoms)) == {0, 1, 3}  # points, railings, green plots
    assert np.array_equal(_containing_grid(full_city, components.geoms), components.grids)


def test_facilities_follow_the_ledger_and_their_attributes_are_valid(full_city: City) -> None:
    facilities = full_city.facilities
    counts = Counter(facilities.kinds)
    assert {k: counts[k] for k in SPEC_FACILITIES} == SPEC_FACILITIES
    assert set(counts) == set(KINDS)
    for kind, attrs in zip(facilities.kinds, facilities.attrs, strict=True):
        check_attrs(kind, attrs)
        assert attrs, f"a {kind} carries its typed attributes"
    assert len(set(facilities.codes)) == len(facilities.codes)
    assert np.array_equal(_containing_grid(full_city, facilities.geoms), np.asarray(facilities.grids))


def test_roads_run_inside_the_district_and_segments_cover_them(full_city: City) -> None:
    roads = full_city.roads
    district = full_city.district.geoms[0]
    assert shapely.covered_by(roads.lines, shapely.buffer(district, 1e-9)).all()
    assert set(roads.grades.tolist()) == {1, 2, 3, 4}
    assert len(set(roads.names)) == len(roads.names)
    per_road = np.bincount(roads.segment_road, weights=shapely.length(roads.segment_lines), minlength=len(roads.names))
    np.testing.assert_allclose(per_road, shapely.length(roads.lines), rtol=1e-12)
    for road, name in zip(roads.segment_road.tolist(), roads.segment_names, strict=True):
        assert name.startswith(roads.names[road] + "（")
    assert (roads.segment_widths > 0).all()


def test_responsibility_grids_of_every_kind_are_unions_of_communities(full_city: City) -> None:
    grids = full_city.responsibility
    kinds = np.asarray(grids.kinds)
    assert set(kinds) == set(ResponsibilityGrid.KINDS)
    assert all(assignee or team for assignee, team in zip(grids.assignees, grids.teams, strict=True))
    supervisor = np.flatnonzero(kinds == "supervisor")
    assert [grids.codes[i][3:] for i in supervisor] == full_city.communities.codes
    assert all(shapely.equals(grids.geoms[i], c) for i, c in zip(supervisor, full_city.communities.geoms, strict=True))
    bound = [full_city.communities.codes[k] for k, i in enumerate(supervisor) if grids.assignees[i] == "supervisor"]
    assert bound and all(code.startswith("320982001") for code in bound)
    for kind in ("sanitation", "greening", "enforcement"):  # each kind covers the district once
        members = np.asarray(grids.geoms, dtype=object)[kinds == kind]
        assert_tiles(members, np.zeros(len(members), dtype=int), full_city.district.geoms)


def test_same_seed_same_city_and_scale_changes_only_components_and_facilities(full_city: City) -> None:
    small = generate_city(scale=0.02)
    again = generate_city(scale=0.02)
    assert np.array_equal(small.components.codes, again.components.codes)
    assert shapely.equals_exact(small.components.geoms, again.components.geoms, tolerance=0).all()
    assert small.grids.codes == full_city.grids.codes
    assert shapely.equals_exact(small.grids.geoms, full_city.grids.geoms, tolerance=0).all()
    assert abs(len(small.components.codes) - 0.02 * len(full_city.components.codes)) <= 6
    assert len(small.facilities.codes) < len(full_city.facilities.codes) / 10
    assert set(small.facilities.kinds) == set(KINDS)

    other = generate_city(seed=1, scale=0.02)
    assert not shapely.equals_exact(other.grids.geoms, small.grids.geoms, tolerance=1e-9).all()


@pytest.mark.parametrize("scale", [0, -1, float("nan"), 11])
def test_a_scale_that_makes_no_city_is_refused(scale: float) -> None:
    with pytest.raises(InvalidScale) as caught:
        generate_city(scale=scale)
    assert isinstance(caught.value, GridcityError) and caught.value.field == "scale"
