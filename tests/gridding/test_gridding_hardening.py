"""What a fuzzer sent /api/gridding/ (issue 19): bodies that are not objects, nested too deep, empty
form posts, text with NUL characters; and the voiding of rounds drawn by mistake."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from audit.models import AuditEntry
from gridding.models import EvaluationGrid, EvaluationPoint, SamplingRound

API = "/api/gridding/"
POSTS = ["topology/", "evaluation-grids/build/", "evaluation-grids/move/", "rounds/", "fishnets/"]


def build(planner, run_jobs) -> None:
    """POST an evaluation grid build (202, queued) and let the worker run it to the end."""
    queued = planner.post(API + "evaluation-grids/build/", {}, format="json")
    assert queued.status_code == 202, queued.content
    run_jobs()
    assert planner.get(queued.json()["url"]).json()["status"] == "done"


def refused(response, status: int, rule: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] and body["errors"][0]["rule"] == rule, body
    return body


def test_a_body_that_is_not_an_object_is_400(gcity) -> None:
    for path in POSTS:
        for body in ["[1, 2]", "3", '"area"', "null", "true"]:
            response = gcity.clients["gplanner"].post(API + path, body, content_type="application/json")
            assert refused(response, 400, "json_object")["errors"][0]["field"] == "body"
    assert not SamplingRound.objects.exists()


def test_deeply_nested_json_is_400(gcity) -> None:
    for path in POSTS:
        for depth in (40, 50_000):  # past MAX_DEPTH, and past Python's recursion limit
            body = '{"area": ' + "[" * depth + "]" * depth + "}"
            response = gcity.clients["gplanner"].post(API + path, body, content_type="application/json")
            assert "nested deeper" in refused(response, 400, "parse_error")["detail"]


def test_text_with_a_nul_character_is_400(gcity) -> None:
    response = gcity.clients["gplanner"].post(API + "fishnets/", {"shape": "hex", "size": 400, "layer": "a\u0000b"},
                                              format="json")
    assert "NUL" in refused(response, 400, "parse_error")["detail"]


def test_an_empty_form_post_draws_no_round(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    build(planner, run_jobs)
    refused(planner.post(API + "rounds/", {}), 415, "unsupported_media_type")  # multipart, as the fuzzer sent
    refused(planner.post(API + "rounds/", "city_class=1", content_type="application/x-www-form-urlencoded"), 415,
            "unsupported_media_type")
    assert not SamplingRound.objects.exists()


def test_digits_that_are_not_ascii_and_values_that_are_not_text_are_400(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    build(planner, run_jobs)
    for body, field in [({"city_class": "²"}, "city_class"), ({"seed": "²"}, "seed"),
                        ({"points_per_grid": "٣"}, "points_per_grid"), ({"seed": [1]}, "seed")]:
        response = planner.post(API + "rounds/", body, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field, response.content
    response = planner.post(API + "fishnets/", {"shape": ["hex"], "size": 400, "layer": "components"}, format="json")
    refused(response, 400, "fishnet")
    refused(planner.post(API + "topology/", {"gap_m2": "nan"}, format="json"), 400, "range")
    assert not SamplingRound.objects.exists()


def test_a_round_drawn_by_mistake_is_voided_audited_and_no_longer_counts(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    build(planner, run_jobs)
    assert EvaluationGrid.objects.exists() and EvaluationPoint.objects.exists()
    draw = {"city_class": 1, "seed": 11, "points_per_grid": 4}
    first = planner.post(API + "rounds/", draw, format="json").json()
    void = API + f"rounds/{first['id']}/void/"

    refused(planner.post(void, {}, format="json"), 400, "required")
    refused(planner.post(void, {"reason": "x" * 501}, format="json"), 400, "required")
    refused(gcity.clients["gplanner_east"].post(void, {"reason": "测试"}, format="json"), 404, "exists")
    refused(gcity.clients["gsupervisor"].post(void, {"reason": "测试"}, format="json"), 403, "role")
    assert SamplingRound.objects.get(pk=first["id"]).voided_at is None

    done = planner.post(void, {"reason": "模糊测试误建"}, format="json")
    assert done.status_code == 200, done.content
    voided = done.json()
    assert voided["voided"] and voided["voided_by"] == "gplanner" and voided["void_reason"] == "模糊测试误建"
    entry = AuditEntry.objects.filter(table_name="gridding_samplinground", row_id=str(first["id"]),
                                      action="UPDATE").order_by("-id").first()
    assert entry.actor == "gplanner" and entry.after["void_reason"] == "模糊测试误建"
    assert entry.before["voided_at"] is None
    refused(planner.post(void, {"reason": "again"}, format="json"), 409, "not_void")
    listed = planner.get(API + "rounds/").json()["rounds"]
    assert [(r["number"], r["voided"]) for r in listed] == [(1, True)]

    # The voided round's grids are free again: the same seed draws the same grids, in cycle 1.
    second = planner.post(API + "rounds/", draw, format="json").json()
    assert second["number"] == 2
    assert sorted((g["evaluation_grid"], g["cycle"]) for g in second["grids"]) == sorted(
        (g["evaluation_grid"], g["cycle"]) for g in first["grids"])
    # … and round 1 still replays as drawn (it was voided after it was drawn).
    assert planner.post(API + f"rounds/{first['id']}/replay/").json()["same_grids"]


def test_round_exports_neutralise_formula_cells(gcity, run_jobs) -> None:
    planner = gcity.clients["gplanner"]
    build(planner, run_jobs)
    EvaluationPoint.objects.update(name="=cmd|' /C calc'!A0")
    made = planner.post(API + "rounds/", {"city_class": 1, "seed": 3, "points_per_grid": 2}, format="json").json()
    text = planner.get(API + f"rounds/{made['id']}/export.csv").content.decode("utf-8-sig")
    names = {row[10] for row in list(csv.reader(io.StringIO(text)))[1:] if row[7]}
    assert names == {"'=cmd|' /C calc'!A0"}
    sheet = load_workbook(io.BytesIO(planner.get(API + f"rounds/{made['id']}/export.xlsx").content)).active
    cells = {sheet.cell(row, 11) for row in range(2, sheet.max_row + 1) if sheet.cell(row, 8).value}
    assert {c.value for c in cells} == {"'=cmd|' /C calc'!A0"} and {c.data_type for c in cells} == {"s"}
