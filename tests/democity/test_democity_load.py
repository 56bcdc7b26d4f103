"""Loading a small demo city (2 % of the components, the full grid structure) into PostGIS: what is
written, how it nests and locates (checked in SQL), who it is attributed to, and that a second or a
broken load leaves the database as it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Sum

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from audit.models import AuditEntry
from democity.errors import DemoAlreadyLoaded
from democity.generate import DEFAULT_SEED, City, generate_city
from democity.load import LOADER, demo_loaded, load_city, load_demo
from gridding import rounds
from gridding.models import EvaluationGrid, FishnetCell, SamplingRound, ZoneArea
from layers.errors import GridcityError
from layers.models import (
    CleaningSegment,
    Community,
    Component,
    District,
    Facility,
    ResponsibilityGrid,
    Road,
    Street,
    UnitGrid,
)
from layers.registry import registry
from layers.roles import ROLES

SCALE = 0.02
GRIDDING_LAYERS = ("evaluation_grids", "zone_areas", "evaluation_points", "sampling_rounds", "sampling_grids",
                   "sampling_points", "fishnet_cells")
LAYER_MODELS = (District, Street, Community, UnitGrid, Road, CleaningSegment, Component, Facility, ResponsibilityGrid)


@pytest.fixture(scope="module")
def small_city() -> City:
    return generate_city(scale=SCALE)


@pytest.fixture
def loaded(db: None, small_city: City) -> dict[str, int]:
    return load_city(small_city)


def scalar(query: str, *params: object) -> object:
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def test_load_demo_flips_demo_loaded_and_a_second_load_is_refused(db: None, small_city: City) -> None:
    assert not demo_loaded()
    counts = load_demo(scale=SCALE)
    assert demo_loaded()
    assert counts["components"] == Component.objects.count() > 0
    assert counts["unit grids"] == UnitGrid.objects.count()
    before = {m: m.objects.count() for m in LAYER_MODELS}
    with pytest.raises(DemoAlreadyLoaded) as caught:
        load_demo(scale=SCALE)
    assert isinstance(caught.value, GridcityError) and "320982" in caught.value.message
    with pytest.raises(DemoAlreadyLoaded):  # the check inside the loader's transaction, past the early one
        load_city(small_city)
    assert {m: m.objects.count() for m in LAYER_MODELS} == before


def test_the_demo_load_fills_every_gridding_layer(db: None) -> None:
    """A first start shows every gridding layer of the map with rows, made by the `gridcity grids` operations."""
    counts = load_demo(scale=SCALE)
    for name in GRIDDING_LAYERS:
        layer = registry.get(name)
        assert layer.model.objects.exists(), f"{name} ({layer.title}) is empty after the demo load"
    members = [m for g in EvaluationGrid.objects.all() for m in g.members]
    assert sorted(members) == sorted(UnitGrid.objects.values_list("code", flat=True))
    assert set(ZoneArea.objects.values_list("zone_type", flat=True)) == {"A", "B", "C"}
    assert counts["evaluation grids"] == EvaluationGrid.objects.count()
    drawn = SamplingRound.objects.get()
    assert drawn.seed == DEFAULT_SEED and drawn.created_by == LOADER and drawn.area_code == "320982"
    assert rounds.replay(drawn)["same_grids"] and rounds.replay(drawn)["same_points"]
    assert drawn.points.count() == counts["sampled points"] > 0
    assert FishnetCell.objects.aggregate(n=Sum("count"))["n"] == Component.objects.count()
    assert not AuditEntry.objects.filter(table_name=EvaluationGrid._meta.db_table).exclude(actor=LOADER).exists()


def test_a_load_failing_part_way_leaves_nothing_behind(db: None, small_city: City) -> None:
    codes = small_city.components.codes.copy()
    codes[-1] = codes[0]  # a duplicate 标识码, met only after the grids, roads and half the COPY went in
    with pytest.raises(IntegrityError):
        load_city(replace(small_city, components=replace(small_city.components, codes=codes)))
    assert not demo_loaded()
    assert all(m.objects.count() == 0 for m in LAYER_MODELS)
    assert not AuditEntry.objects.filter(actor=LOADER).exists()


def test_everything_generated_is_written(loaded: dict[str, int], small_city: City) -> None:
    assert loaded["components"] == len(small_city.components.codes)
    by_class = Counter(Component.objects.values_list("component_class_id", flat=True))
    assert by_class == Counter(small_city.components.classes.tolist())
    assert Counter(Facility.objects.values_list("kind", flat=True)) == Counter(small_city.facilities.kinds)
    assert UnitGrid.objects.count() == len(small_city.grids.codes) == loaded["unit grids"]
    assert CleaningSegment.objects.filter(road__isnull=True).count() == 0
    assert CleaningSegment.objects.count() == len(small_city.roads.segment_names)


def test_unit_grids_nest_in_communities_and_communities_in_streets(loaded: dict[str, int]) -> None:
    tolerance = settings.GRIDCITY_NESTING_TOLERANCE_M2
    for child, parent, key in (("layers_unitgrid", "layers_community", "community_id"),
                               ("layers_community", "layers_street", "street_id")):
        sticking_out = scalar(
            f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.code = c.{key}"
            " WHERE NOT ST_CoveredBy(c.geom, p.geom)"
            " AND ST_Area(ST_Difference(c.geom, p.geom)::geography) > %s", tolerance)
        assert sticking_out == 0
        misfiled = scalar(f"SELECT count(*) FROM {child} WHERE left(code, length(code) - 3) <> {key}")
        assert misfiled == 0
    # Areas are computed on the ellipsoid, and the grids add up to the district: no gaps.
    assert scalar("SELECT count(*) FROM layers_unitgrid WHERE area_m2 <= 0") == 0
    total = scalar("SELECT sum(area_m2) FROM layers_unitgrid")
    district = scalar("SELECT ST_Area(geom::geography) FROM layers_district WHERE code = '320982'")
    assert total == pytest.approx(district, rel=1e-9)


def test_each_feature_names_the_unit_grid_containing_it(loaded: dict[str, int]) -> None:
    for table in ("layers_component", "layers_facility"):
        wrong = scalar(
            f"SELECT count(*) FROM {table} f"
            " LEFT JOIN layers_unitgrid g ON ST_Intersects(g.geom, ST_PointOnSurface(f.geom))"
            " WHERE g.code IS DISTINCT FROM f.unit_grid_id")
        assert wrong == 0, f"{table}: a feature outside, or on the edge of, its unit grid"


def test_loaded_rows_pass_the_models_own_validation(loaded: dict[str, int]) -> None:
    classes = Component.objects.order_by("component_class_id").values_list("component_class_id", flat=True)
    kinds = Facility.objects.order_by("kind").values_list("kind", flat=True)
    samples = [
        *(Component.objects.filter(component_class_id=c).last() for c in classes.distinct()[::4]),
        *(Facility.objects.filter(kind=k).last() for k in kinds.distinct()),
        *(model.objects.first() for model in (UnitGrid, Road, CleaningSegment, ResponsibilityGrid)),
        *(model.objects.last() for model in (UnitGrid, Road, CleaningSegment, ResponsibilityGrid)),
    ]
    assert len(samples) > 30
    for obj in samples:
        stored = {f: getattr(obj, f) for f in ("unit_grid_id", "area_m2", "length_m") if hasattr(obj, f)}
        obj.full_clean()  # derives the unit grid, areas and lengths again, as the API would
        for field, value in stored.items():
            assert getattr(obj, field) == pytest.approx(value, rel=1e-9), f"{obj}: {field}"
    mismatched = scalar("SELECT count(*) FROM layers_cleaningsegment WHERE abs(area_m2 - length_m * width_m) > 1e-6")
    assert mismatched == 0


def test_demo_accounts_exist_with_their_roles(loaded: dict[str, int]) -> None:
    for role in ROLES:
        user = User.objects.get(username=role)
        assert user.role == role
        assert user.jurisdiction_code == ("*" if role in ("admin", "auditor", "secadmin") else "320982")
        assert user.check_password(DEMO_PASSWORD)
    supervisor = User.objects.get(username="supervisor")
    own = ResponsibilityGrid.objects.filter(kind="supervisor", assignee=supervisor)
    assert own.count() == Community.objects.filter(street_id="320982001").count()
    unbound = ResponsibilityGrid.objects.filter(assignee__isnull=True, team="")
    assert not unbound.exists(), "every responsibility grid is bound to a person or a team"


def test_the_audit_log_attributes_the_load_to_the_demo_loader(loaded: dict[str, int]) -> None:
    """Every inserted row is in the log under the loader: the bulk entries list exactly the rows' keys."""
    for model in LAYER_MODELS:
        table = model._meta.db_table
        entries = AuditEntry.objects.filter(table_name=table)
        assert not entries.exclude(actor=LOADER).exists(), table
        inserts = entries.filter(action="INSERT")
        assert inserts.exists() and all(e.row_id == "*" and e.after["bulk"] for e in inserts), table
        keys = [key for e in inserts for key in e.bulk_keys]
        assert sorted(keys) == sorted(str(pk) for pk in model.objects.values_list("pk", flat=True)), table
        assert sum(e.after["rows"] for e in inserts) == model.objects.count() > 0, table
    assert AuditEntry.objects.filter(actor=LOADER, table_name=User._meta.db_table).exists()


def test_supervisor_grids_are_their_communities(loaded: dict[str, int]) -> None:
    differing = scalar(
        "SELECT count(*) FROM layers_responsibilitygrid r JOIN layers_community c ON 'JDY' || c.code = r.code"
        " WHERE NOT ST_Equals(r.geom, c.geom)")
    matched = scalar(
        "SELECT count(*) FROM layers_responsibilitygrid r JOIN layers_community c ON 'JDY' || c.code = r.code")
    assert differing == 0 and matched == Community.objects.count()
    kinds = np.array(ResponsibilityGrid.objects.values_list("kind", flat=True))
    assert set(kinds) == set(ResponsibilityGrid.KINDS)
