"""The whole chain on the demo district (5,000 unit grids, components at 2 %): clean topology, evaluation
grids keeping every constraint, a reproducible sampling round and a density fishnet."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from django.db.models import Count, Sum

from democity.generate import generate_city
from democity.load import load_city
from gridding import building, demo, fishnet, problems, rounds
from gridding.models import EvaluationGrid, Fishnet
from layers.models import Component, Street, UnitGrid

CLI = SimpleNamespace(username="cli", role="admin", jurisdiction_code="*")


@pytest.fixture
def demo_city(db: None) -> None:
    load_city(generate_city(scale=0.02))  # the city alone: the demo's own evaluation layers are built below


def test_demo_district_end_to_end(demo_city: None) -> None:
    report = problems.check("320982")
    assert report.grids == 5000 and report.problems == []

    built = building.build("320982", CLI)
    assert built.built > 300 and built.flagged == {}
    grids = list(EvaluationGrid.objects.all())
    members = [m for g in grids for m in g.members]
    assert len(members) == len(set(members)) == UnitGrid.objects.count()
    areas = np.array([g.area_m2 for g in grids])
    assert areas.min() >= 0.5e6 and areas.max() <= 3e6 and abs(np.median(areas) - 1e6) < 0.1e6
    assert min(g.compactness for g in grids) >= 0.2
    assert all(g.geom.num_geom == 1 and len(g.geom[0]) == 1 for g in grids)  # one piece, no holes
    streets = dict(Street.objects.values_list("code", "name"))
    assert {g.code[:9] for g in grids} == set(streets) and all(g.code.startswith(g.street_id) for g in grids)
    # union per street equals the street's unit grids: nothing lost, nothing added
    per_street = EvaluationGrid.objects.values("street").annotate(n=Sum("member_count"))
    expected = dict(UnitGrid.objects.values("community__street").annotate(n=Count("id")).values_list(
        "community__street", "n"))
    assert {r["street"]: r["n"] for r in per_street} == expected
    assert building.build("320982", CLI).kept == len(grids)

    demo.load("320982", CLI)
    first = rounds.create("320982", 2, CLI, seed=99)
    zones = sorted(first.grids.values_list("zone_type", flat=True))
    assert zones == ["A", "A", "B", "B", "C", "C"]
    assert rounds.replay(first)["same_grids"] and rounds.replay(first)["same_points"]
    second = rounds.create("320982", 2, CLI, seed=99)
    assert not set(first.grids.values_list("evaluation_grid", flat=True)) & set(
        second.grids.values_list("evaluation_grid", flat=True))

    net = fishnet.build("hex", 1000, "components", "320982", CLI)
    assert fishnet.describe(net)["features"] == Component.objects.count()
    assert Fishnet.objects.get(pk=net.pk).cells.count() > 100
