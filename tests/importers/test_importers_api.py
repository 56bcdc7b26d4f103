"""POST /api/imports/ → a queued job a worker runs; GET /api/imports/{id}/ → status, progress, counts, error
report."""

from __future__ import annotations

from import_files import frame, upload, write_csv
from test_importers_components import HEADER, PLANTED

from importers.models import ImportJob
from layers.models import Component


def test_upload_runs_job_and_reports(city, tmp_path, imported):
    path = write_csv(tmp_path / "planted.csv", HEADER, PLANTED)
    body = imported(city.clients["admin"], path, kind="components", crs="EPSG:4490")
    assert body["status"] == "done"
    assert (body["summary"]["inserted"], body["summary"]["rejected"]) == (2, 10)
    assert body["progress"]["rows_done"] == len(PLANTED)
    detail = city.clients["admin"].get(body["url"]).json()
    assert detail["errors"][0] == {"row": 3, "field": "code", "value": "320982010100020", "rule": "code_format",
                                   "message": detail["errors"][0]["message"], "severity": "error"}
    csv_text = city.clients["admin"].get(body["errors_csv"]).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "row,field,value,rule,message,severity"
    assert len(csv_text.splitlines()) == 1 + len(detail["errors"])


def test_surveyor_upload_scoped_to_jurisdiction(city, tmp_path, imported):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    body = imported(city.clients["surveyor"], path, kind="components")
    assert (body["summary"]["inserted"], body["summary"]["rejected"]) == (2, 1)
    assert body["errors"][0]["rule"] == "jurisdiction"
    # another user does not see the job
    assert city.clients["planner"].get(body["url"]).status_code == 404


def test_role_without_right_refused_before_upload_is_kept(city, tmp_path):
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    response = upload(city.clients["dispatcher"], path, kind="components")
    assert response.status_code == 403
    assert response.json()["errors"][0]["rule"] == "role"
    assert not ImportJob.objects.exists()
    assert upload(city.anonymous, path, kind="components").status_code == 401


def test_file_over_size_limit(city, tmp_path, settings):
    settings.GRIDCITY_IMPORT_MAX_BYTES = 100
    path = tmp_path / "census.gpkg"
    frame().to_file(path, driver="GPKG", engine="pyogrio")
    response = upload(city.clients["admin"], path, kind="components")
    assert response.status_code == 413
    assert response.json()["errors"][0]["rule"] == "size_limit"


def test_bad_file_fails_job_with_message(city, tmp_path, imported):
    path = tmp_path / "census.zip"
    path.write_bytes(b"not a zip at all")
    before = Component.objects.count()
    body = imported(city.clients["admin"], path, kind="components")
    assert body["status"] == "failed"
    assert body["failure"]["errors"][0]["rule"] == "readable_zip"
    assert Component.objects.count() == before


def test_unknown_kind(city, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["标识码"], [["1"]])
    response = upload(city.clients["admin"], path, kind="bicycles")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "kind"


def test_upload_unit_grids(city, tmp_path, imported):
    from test_importers_unit_grids import PLANTED, grids_file

    body = imported(city.clients["admin"], grids_file(tmp_path, PLANTED[:4]), kind="unit_grids")
    assert body["status"] == "done", body
    assert (body["summary"]["inserted"], body["summary"]["updated"], body["summary"]["rejected"]) == (1, 1, 2)
    assert [e["rule"] for e in body["errors"]] == ["code_format", "code_hierarchy"]


def test_upload_facilities(city, tmp_path, imported):
    from test_importers_facilities import HEADER
    from test_importers_facilities import PLANTED as FACILITIES

    path = write_csv(tmp_path / "facilities.csv", HEADER, FACILITIES[:5])
    body = imported(city.clients["admin"], path, kind="facilities", crs="EPSG:4490")
    assert body["status"] == "done", body
    assert (body["summary"]["inserted"], body["summary"]["rejected"]) == (3, 2)
    assert [(e["row"], e["rule"]) for e in body["errors"]] == [(5, "facility_kind"), (6, "known_attribute")]


def test_upload_admin_units(city, tmp_path, imported):
    from test_importers_admin_units import PLANTED as UNITS
    from test_importers_admin_units import units_file

    body = imported(city.clients["admin"], units_file(tmp_path, UNITS[:2]), kind="admin_units")
    assert body["status"] == "done", body
    assert (body["summary"]["inserted"], body["summary"]["rejected"]) == (2, 0)
    assert upload(city.clients["surveyor"], units_file(tmp_path, UNITS[:1], "s.gpkg"),
                  kind="admin_units").status_code == 403


def test_qa_report_page_of_an_uploaded_census(city, tmp_path, imported):
    """An upload with qa=true links its QA report as a page to read, with a line per km² cell
    (failing ones first) and the verdict; its owner and an admin can read it, others cannot, and
    an import without QA says how to get one."""
    rows = [[f"32098201010003{i:02d}", "0101", "井盖", "完好", "", "", 120.4101 + i * 1e-4, 33.1101] for i in range(40)]
    path = write_csv(tmp_path / "qa<b>.csv", HEADER, rows)
    body = imported(city.clients["surveyor"], path, kind="components", crs="EPSG:4490", qa="true")
    assert body["status"] == "done", body
    qa = body["summary"]["qa"]
    page = city.clients["surveyor"].get(body["qa_html"])
    assert (page.status_code, page["Content-Type"]) == (200, "text/html; charset=utf-8")
    text = page.content.decode()
    assert "qa&lt;b&gt;.csv" in text and "qa<b>" not in text  # the file's name is text, not markup
    failing = [c["cell"] for c in qa["cells"] if not c["pass"]]
    assert failing and all(cell in text for cell in failing)  # the fixture's stored components are omitted
    assert text.index(failing[0]) < text.index(next(c["cell"] for c in qa["cells"] if c["pass"]))
    assert "不合格 FAIL" in text and "5% / 5% / 5%" in text
    assert city.clients["admin"].get(body["qa_html"]).status_code == 200
    assert city.clients["planner"].get(body["qa_html"]).status_code == 404

    plain = imported(city.clients["surveyor"], path, kind="components", crs="EPSG:4490")
    assert "qa_html" not in plain
    refused = city.clients["surveyor"].get(f"/api/imports/{plain['id']}/qa.html")
    assert refused.status_code == 404
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("qa", "qa_report")]
    assert "qa=true" in refused.json()["detail"]
    # an import that asked for QA and has not finished says so, instead
    waiting = ImportJob.objects.create(kind="components", file_name="later.csv", path="/nonexistent",
                                       options={"qa": True}, user=city.users["surveyor"])
    pending = city.clients["surveyor"].get(f"/api/imports/{waiting.id}/qa.html").json()
    assert "queued" in pending["detail"] and "qa=true" not in pending["detail"]
