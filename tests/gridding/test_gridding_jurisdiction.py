"""The gridding endpoints and the gridding layers answer the one jurisdiction rule alike (issue 19:
a street user saw more evaluation grids through the layer API than through the gridding API)."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon, Polygon

from gridding.models import EvaluationGrid
from layers.editing import acting_as
from layers.models import ResponsibilityGrid

API = "/api/gridding/"
WEST, EAST = "320983001", "320983002"  # the streets of tests/gridding/conftest.py
LON, LAT, STEP = 120.0, 33.0, 0.003


def codes(response, key: str = "features") -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    if key == "features":
        return {f["properties"]["code"] for f in body["features"]}
    return {g["code"] for g in body[key]}


def test_evaluation_grids_are_the_same_through_both_apis(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]  # the district
    queued = planner.post(API + "evaluation-grids/build/", {}, format="json")  # a job for the worker
    assert queued.status_code == 202, queued.content
    run_jobs()
    assert planner.get(queued.json()["url"]).json()["status"] == "done"
    west = set(EvaluationGrid.objects.filter(street_id=WEST).values_list("code", flat=True))
    east = set(EvaluationGrid.objects.filter(street_id=EAST).values_list("code", flat=True))
    assert west and east
    # west grids touch the east street: the layer API used to hand them to its planner too
    touching = EvaluationGrid.objects.filter(street_id=WEST, geom__intersects=EvaluationGrid.objects.filter(
        street_id=EAST).first().geom)
    assert touching.exists()
    east_planner = gcity.clients["gplanner_east"]
    by_layer = codes(east_planner.get("/api/layers/evaluation_grids/features/"))
    by_gridding = codes(east_planner.get(API + "evaluation-grids/"), "grids")
    assert by_layer == by_gridding == east
    assert codes(planner.get("/api/layers/evaluation_grids/features/")) == west | east


def test_a_neighbours_responsibility_grid_and_its_assignee_stay_hidden(gcity, client_for) -> None:
    from accounts.models import User

    west_supervisor = User.objects.create(username="west-sup", role="supervisor", jurisdiction_code=WEST)
    box = Polygon.from_bbox((LON + 11 * STEP, LAT, LON + 14 * STEP, LAT + 2 * STEP))  # mostly the east street
    box.srid = 4490
    with acting_as("fixture"):
        grid = ResponsibilityGrid.objects.create(code="R-EAST", name="东网格", kind="supervisor",
                                                 assignee=west_supervisor, geom=MultiPolygon(box, srid=4490))
    east = gcity.clients["gplanner_east"]
    shown = east.get(f"/api/layers/responsibility_grids/features/{grid.pk}").json()
    assert shown["properties"]["assignee"] == west_supervisor.pk
    west = client_for(west_supervisor)
    assert west.get(f"/api/layers/responsibility_grids/features/{grid.pk}").status_code == 404
    listed = west.get("/api/layers/responsibility_grids/features/").json()["features"]
    assert grid.pk not in {f["id"] for f in listed}
