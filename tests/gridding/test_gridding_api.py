"""/api/gridding/ on the hand-made district: checks, evaluation grids, sampling rounds, exports and fishnets,
for planners within their jurisdiction, audited under their name."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.gis.geos import Polygon
from openpyxl import load_workbook

from audit.models import AuditEntry
from gridding.models import EvaluationGrid, TopologyProblem
from gridding.rounds import strata
from layers.models import UnitGrid

API = "/api/gridding/"
WEST, EAST = "320983001", "320983002"  # the streets of tests/gridding/conftest.py
LON, LAT, STEP = 120.0, 33.0, 0.003


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def built(client, run_jobs, **data: str) -> dict:
    """POST a build (202, queued), let the worker run it, and return its report as the build's GET shows it."""
    queued = ok(client.post(API + "evaluation-grids/build/", data, format="json"), 202)
    assert queued["status"] == "queued" and queued["report"] is None, queued
    run_jobs()
    done = ok(client.get(queued["url"]))
    assert done["status"] == "done", done
    assert done["progress"]["steps_done"] == done["progress"]["steps_total"] == 3
    return done["report"]


def refused(response, status: int, rule: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["errors"][0]["rule"] == rule, body
    return body


def test_topology_check_finds_planted_overlap_and_gap_and_serves_them(gcity) -> None:
    planner = gcity.clients["gplanner"]
    assert ok(planner.post(API + "topology/", {}, format="json"))["ok"] is True
    # plant: grid 001 reaches 0.0005° into its eastern neighbour; grid 010 disappears (a gap)
    UnitGrid.objects.filter(code=f"{WEST}001001").update(
        geom=Polygon.from_bbox((LON, LAT, LON + 1.2 * STEP, LAT + STEP)))
    UnitGrid.objects.filter(code=f"{WEST}001010").delete()
    report = ok(planner.post(API + "topology/", {"area": WEST}, format="json"))
    assert report["summary"]["overlap"] == 1 and report["summary"]["gap"] == 1 and not report["ok"]
    overlap = next(p for p in report["problems"] if p["kind"] == "overlap")
    assert overlap["codes"] == [f"{WEST}001001", f"{WEST}001002"] and overlap["area_m2"] > 1000
    assert TopologyProblem.objects.count() == 2
    assert AuditEntry.objects.filter(table_name="gridding_topologyproblem", actor="gplanner").exists()
    stored = ok(planner.get(API + "topology/", {"area": WEST}))
    assert stored["summary"]["gap"] == 1
    page = planner.get(API + "topology/page/", {"area": WEST})
    assert page.status_code == 200 and "网格重叠" in page.content.decode()
    layer = ok(planner.get("/api/layers/topology_problems/features/"))
    assert {f["properties"]["kind"] for f in layer["features"]} == {"overlap", "gap"}
    # a tighter tolerance run replaces the problems, a looser one clears them
    ok(planner.post(API + "topology/", {"area": WEST, "overlap_m2": 1e7, "gap_m2": 1e7}, format="json"))
    assert TopologyProblem.objects.count() == 0


def test_roles_jurisdiction_and_bad_parameters(gcity) -> None:
    refused(gcity.clients["gsupervisor"].post(API + "topology/", {}, format="json"), 403, "role")
    east = gcity.clients["gplanner_east"]
    refused(east.post(API + "evaluation-grids/build/", {"area": WEST}, format="json"), 403, "jurisdiction")
    refused(east.post(API + "topology/", {"area": "32098x"}, format="json"), 400, "code_format")
    refused(gcity.clients["gplanner"].post(API + "topology/", {"gap_m2": "-3"}, format="json"), 400, "range")
    refused(gcity.clients["gplanner"].post(API + "evaluation-grids/build/", {"area": "320983001001"},
                                           format="json"), 400, "code_format")
    refused(gcity.clients["gplanner"].post(API + "rounds/", {"area": "320984"}, format="json"), 403, "jurisdiction")
    refused(gcity.clients["gplanner"].post(API + "rounds/", {"area": "320983009"}, format="json"), 404, "exists")


def test_build_keeps_every_constraint_and_is_stable(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    report = built(planner, run_jobs)
    assert report["built"] >= 8 and report["kept"] == 0
    grids = list(EvaluationGrid.objects.order_by("code"))
    members = [m for g in grids for m in g.members]
    assert sorted(members) == sorted(gcity.grids)  # every unit grid in exactly one evaluation grid
    small = [g for g in grids if g.street_id == EAST]
    assert len(small) == 1 and small[0].flags == "too_small" and report["flagged"] == {small[0].code: ["too_small"]}
    for g in grids:
        assert len(g.code) == 12 and g.code.startswith(g.street_id)
        assert all(m.startswith(g.street_id) for m in g.members)
        if g.street_id == WEST:
            assert 0.5e6 <= g.area_m2 <= 3e6 and g.flags == "" and g.geom.num_geom == 1 and len(g.geom[0]) == 1
    assert AuditEntry.objects.filter(table_name="gridding_evaluationgrid", actor="gplanner", action="INSERT").exists()

    again = built(planner, run_jobs)
    assert again["kept"] == len(grids) and again["built"] == 0
    # one unit grid changes: only its evaluation grid is regrouped, every other keeps its code and members
    changed = grids[0].members[0]
    grid = UnitGrid.objects.get(code=changed)
    grid.geom = Polygon(list(reversed(grid.geom[0].coords)), srid=4490)  # same shape, other vertex order
    grid.save()
    third = built(planner, run_jobs)
    assert third["retired"] == [grids[0].code] and third["kept"] == len(grids) - 1 and third["built"] >= 1
    after = {g.code: g.members for g in EvaluationGrid.objects.all()}
    assert all(after[g.code] == g.members for g in grids[1:])
    new = set(after) - {g.code for g in grids}
    assert new and all(int(code[-3:]) > max(int(g.code[-3:]) for g in grids if g.street_id == code[:9]) for code in new)
    assert sorted(m for ms in after.values() for m in ms) == sorted(gcity.grids)


def test_move_a_unit_grid_to_a_neighbour_with_the_same_checks(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    built(planner, run_jobs, area=WEST)
    by_member = {m: g for g in EvaluationGrid.objects.all() for m in g.members}
    pairs = []
    for code, (i, j) in gcity.grids.items():
        east = next((c for c, ij in gcity.grids.items() if ij == (i + 1, j)), None)
        if code.startswith(WEST) and east and east.startswith(WEST) and by_member[east].code != by_member[code].code:
            pairs.append((code, by_member[east].code, by_member[code].code))
    moved = None
    for unit, to, source in pairs:
        response = planner.post(API + "evaluation-grids/move/", {"unit_grid": unit, "to": to}, format="json")
        if response.status_code == 200:
            moved = (unit, to, source)
            break
        assert response.json()["errors"][0]["rule"] == "membership"
    assert moved is not None
    unit, to, source = moved
    assert unit in EvaluationGrid.objects.get(code=to).members
    assert unit not in EvaluationGrid.objects.get(code=source).members
    # not adjacent: a grid on the far side of the street
    corner = f"{WEST}001001"
    target = EvaluationGrid.objects.filter(members__contains=[f"{WEST}002060"]).first()
    if target and corner not in target.members:
        refused(planner.post(API + "evaluation-grids/move/", {"unit_grid": corner, "to": target.code},
                             format="json"), 409, "contiguous")
    refused(planner.post(API + "evaluation-grids/move/", {"unit_grid": "1", "to": to}, format="json"), 400,
            "code_format")


def test_sampling_rounds_reproducible_non_repeating_exported(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    built(planner, run_jobs)
    refused(planner.post(API + "rounds/", {"city_class": 5}, format="json"), 400, "city_class")
    refused(planner.post(API + "rounds/", {"city_class": "x"}, format="json"), 400, "city_class")
    first = ok(planner.post(API + "rounds/", {"city_class": 1, "seed": 11, "points_per_grid": 4}, format="json"), 201)
    zones = [g["zone_type"] for g in first["grids"]]
    assert zones.count("C") == 1 and any("zone type C" in w for w in first["warnings"])  # only one C grid
    assert zones.count("A") == 3 and zones.count("B") == 2
    assert first["number"] == 1 and first["seed"] == 11 and first["created_by"] == "gplanner"
    per_grid: dict[str, list[str]] = {}
    for p in first["points"]:
        per_grid.setdefault(p["evaluation_grid"], []).append(p["point_type"])
    for types in per_grid.values():
        assert len(types) == 4 and types.count("01") >= types.count("11")
    replay = ok(planner.post(API + f"rounds/{first['id']}/replay/"))
    assert replay["same_grids"] and replay["same_points"] and replay["same_inputs"]

    # the next rounds avoid grids already drawn until a stratum is used up
    by_zone, _ = strata("320983")
    drawn_a = {g["evaluation_grid"] for g in first["grids"] if g["zone_type"] == "A"}
    left_a = set(by_zone["A"]) - drawn_a
    assert len(by_zone["A"]) >= 4 and 0 < len(left_a) <= 3
    second = ok(planner.post(API + "rounds/", {"city_class": 1, "seed": 11, "points_per_grid": 4}, format="json"), 201)
    second_a = {(g["evaluation_grid"], g["cycle"]) for g in second["grids"] if g["zone_type"] == "A"}
    assert {(code, 1) for code in left_a} <= second_a  # the rest of cycle 1 first …
    assert all(cycle == 2 for code, cycle in second_a if code not in left_a)  # … then a new cycle
    assert ok(planner.post(API + f"rounds/{first['id']}/replay/"))["same_grids"]  # history before round 1 only
    assert AuditEntry.objects.filter(table_name="gridding_roundgrid", actor="gplanner").exists()
    listed = ok(planner.get(API + "rounds/"))["rounds"]
    assert [r["number"] for r in listed] == [1, 2]

    response = planner.get(API + f"rounds/{first['id']}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["轮次", "抽样范围", "城市类别", "随机种子", "评价网格编码"] and len(rows) > len(per_grid)
    response = planner.get(API + f"rounds/{first['id']}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(1, 5).value == "评价网格编码" and sheet.max_row == len(rows)
    refused(planner.get(API + f"rounds/{first['id']}/export.pdf"), 400, "known_format")
    refused(gcity.clients["gplanner_east"].get(API + f"rounds/{first['id']}/"), 404, "exists")
    layer = ok(planner.get("/api/layers/sampling_grids/features/", {"round": first["id"]}))
    assert layer["numberMatched"] == len(first["grids"])


def test_sampling_without_zones_or_grids_says_what_is_missing(gcity) -> None:
    refused(gcity.clients["gplanner"].post(API + "rounds/", {}, format="json"), 409, "sampling_input")


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_fishnet_counts_every_feature_once(gcity, shape: str) -> None:
    planner = gcity.clients["gplanner"]
    made = ok(planner.post(API + "fishnets/", {"shape": shape, "size": 400, "layer": "evaluation_points",
                                               "area": "320983"}, format="json"), 201)
    from gridding.models import EvaluationPoint

    assert made["features"] == EvaluationPoint.objects.count() and made["cells"] > 10
    cells = ok(planner.get("/api/layers/fishnet_cells/features/", {"fishnet": made["id"]}))
    assert cells["numberMatched"] == made["cells"]
    assert max(f["properties"]["density_km2"] for f in cells["features"]) > 0


def test_fishnet_and_zone_bad_input(gcity) -> None:
    planner = gcity.clients["gplanner"]
    refused(planner.post(API + "fishnets/", {"shape": "tri", "size": 400, "layer": "components"}, format="json"),
            400, "fishnet")
    refused(planner.post(API + "fishnets/", {"shape": "hex", "size": 1, "layer": "components"}, format="json"),
            400, "fishnet")
    refused(planner.post(API + "fishnets/", {"shape": "hex", "size": 400, "layer": "nope"}, format="json"),
            404, "known_layer")
    zone = {"type": "Feature", "properties": {"zone_type": "D"},
            "geometry": {"type": "Polygon", "coordinates": [[[120, 33], [120.01, 33], [120.01, 33.01], [120, 33]]]}}
    response = planner.post("/api/layers/zone_areas/features/", zone, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "zone_type"


def test_gridding_layers_are_in_the_registry_and_in_vector_tiles(gcity, run_jobs) -> None:
    import gzip
    import math

    import mapbox_vector_tile

    planner = gcity.clients["gplanner"]
    ok(planner.post(API + "topology/", {}, format="json"))
    built(planner, run_jobs)
    ok(planner.post(API + "rounds/", {"city_class": 3, "seed": 1}, format="json"), 201)
    made = ok(planner.post(API + "fishnets/", {"shape": "square", "size": 500, "layer": "unit_grids"},
                           format="json"), 201)
    names = ["evaluation_grids", "zone_areas", "evaluation_points", "topology_problems", "sampling_rounds",
             "sampling_grids", "sampling_points", "fishnet_cells"]
    listed = {la["name"]: la for la in ok(planner.get("/api/layers/"))["layers"]}
    assert set(names) <= set(listed) and listed["evaluation_grids"]["title"] == "评价网格"
    assert listed["zone_areas"]["editable"] and not listed["evaluation_grids"]["editable"]
    z = 14
    lon, lat = LON + 6 * STEP, LAT + 5 * STEP
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    response = planner.get(f"/tiles/{','.join(names)}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200, response.content
    data = response.content
    tile = mapbox_vector_tile.decode(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    for name in ("evaluation_grids", "zone_areas", "evaluation_points", "sampling_grids", "fishnet_cells"):
        assert tile.get(name, {}).get("features"), name
    assert made["cells"] > 0


def test_a_build_is_queued_once_per_area_and_shown_to_its_owner(gcity, run_jobs) -> None:
    from procrastinate.contrib.django.models import ProcrastinateJob

    from gridding.models import EvaluationBuildJob

    planner = gcity.clients["gplanner"]
    first = ok(planner.post(API + "evaluation-grids/build/", {"area": WEST}, format="json"), 202)
    assert not EvaluationGrid.objects.exists()  # nothing built in the request
    again = ok(planner.post(API + "evaluation-grids/build/", {"area": WEST}, format="json"), 202)
    assert again["id"] == first["id"]  # one waiting build per area
    queued = ProcrastinateJob.objects.get(pk=EvaluationBuildJob.objects.get(pk=first["id"]).queue_job)
    assert (queued.task_name, queued.queue_name, queued.lock) == ("gridding.build_evaluation_grids", "gridding",
                                                                   "gridding.evaluation-build")
    refused(gcity.clients["gplanner_east"].get(first["url"]), 404, "exists")
    run_jobs()
    assert ok(planner.get(first["url"]))["report"]["built"] >= 1
    assert EvaluationGrid.objects.filter(street_id=WEST).exists()
