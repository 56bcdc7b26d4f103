"""The site's own findings of issue 19: the schema behind login and documenting its errors, the
body-size limit answered in JSON, the Content-Security-Policy, ``gridcity serve`` without the
virtualenv on PATH, and the deploy check's hint naming a command that exists."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from django.core.checks import run_checks
from django.core.management import get_commands

from accounts.demo import DEMO_PASSWORD, DEMO_USERNAMES
from accounts.models import User
from gridcity.cli import parser as cli_parser

ROOT = Path(__file__).resolve().parents[2]
ERRORS = ("400", "401", "403", "404", "413")


def test_the_schema_is_for_logged_in_users_only(city) -> None:
    response = city.anonymous.get("/api/schema/", {"format": "json"})
    assert response.status_code == 401 and response.json()["errors"][0]["rule"] == "not_authenticated"
    assert city.clients["surveyor"].get("/api/schema/", {"format": "json"}).status_code == 200


def test_every_operation_documents_the_error_body(city) -> None:
    schema = city.clients["admin"].get("/api/schema/", {"format": "json"}).json()
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "errors"]
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) > 30
    for path, method, op in operations:
        for status in ERRORS:
            content = op["responses"].get(status, {}).get("content", {})
            assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method)


def test_request_bodies_have_their_real_shapes(city) -> None:
    schema = city.clients["admin"].get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]

    def body(path: str, method: str = "post") -> dict:
        content = schema["paths"][path][method]["requestBody"]["content"]
        ref = next(iter(content.values()))["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    def enum(field: dict) -> list:
        return components[field["$ref"].rsplit("/", 1)[1]]["enum"]

    feature = body("/api/layers/{layer}/features/")
    assert enum(feature["properties"]["type"]) == ["Feature"]
    assert "coordinates" in feature["properties"]["geometry"]["properties"]
    assert set(body("/api/gridding/rounds/")["properties"]) == {"area", "city_class", "seed", "points_per_grid"}
    assert set(body("/api/gridding/evaluation-grids/move/")["required"]) == {"unit_grid", "to"}
    assert enum(body("/api/gridding/fishnets/")["properties"]["shape"]) == ["square", "hex"]
    assert body("/api/gridding/rounds/{id}/void/")["required"] == ["reason"]
    upload = body("/api/imports/")
    assert {"file", "kind", "encoding"} <= set(upload["properties"]) and "rot13" not in str(upload)
    # JSON only: a form post to a JSON endpoint is a 415
    assert set(schema["paths"]["/api/gridding/rounds/"]["post"]["requestBody"]["content"]) == {"application/json"}


def test_a_body_over_the_size_limit_is_a_json_413(city, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = city.clients["admin"].post("/api/layers/components/features/",
                                          {"type": "Feature", "properties": {"note": "x" * 2000}}, format="json")
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["errors"][0] == {"field": "body", "rule": "size_limit",
                                            "message": response.json()["detail"]}
    assert "1,000 bytes" in response.json()["detail"]
    response = city.clients["planner"].post("/api/gridding/topology/", {"area": "9" * 2000}, format="json")
    assert response.status_code == 413 and response.json()["errors"][0]["rule"] == "size_limit"


def test_pages_and_api_answers_carry_a_strict_content_security_policy(city, client) -> None:
    client.force_login(city.users["planner"])
    for path in ("/", "/login/", "/api/layers/", "/api/nowhere/"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy


def test_unknown_api_paths_and_failed_csrf_checks_answer_in_json(city, client) -> None:
    response = city.clients["admin"].get("/api/nowhere/a\nb")
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "path"
    session = type(client)(enforce_csrf_checks=True)  # a browser session without the CSRF token
    session.force_login(city.users["planner"])
    response = session.post("/api/nowhere/", {}, content_type="application/json")
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "path"
    response = session.post("/tiles/components/0/0/0.mvt")
    assert response.status_code == 403 and response.json()["errors"][0]["rule"] == "csrf"
    response = session.post("/api/gridding/topology/", {}, content_type="application/json")  # DRF's own check
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_without_the_virtualenv_on_path(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev",
           "GRIDCITY_WORKERS": "1", "GRIDCITY_THREADS": "1"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gridcity"), "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = None
        for _ in range(240):  # the shared machine may be slow to start a worker
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=60) as answer:
                    status = answer.status
                    break
            except OSError:  # not listening yet (URLError, ConnectionError, a timeout)
                time.sleep(0.5)
        assert status == 200, (tmp_path / "serve.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_deploy_checks_hint_names_a_command_that_exists(db, settings) -> None:
    settings.GRIDCITY_DEMO = False
    user = User(username=DEMO_USERNAMES[0], role="admin")
    user.set_password(DEMO_PASSWORD)
    user.save()
    found = [e for e in run_checks(include_deployment_checks=True) if e.id == "gridcity.E001"]
    assert len(found) == 1
    commands = re.findall(r"gridcity ([a-z-]+)(?: ([a-z_]+))?", found[0].hint)
    assert commands, found[0].hint
    gridcity_commands = cli_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command, sub in commands:
        assert command in gridcity_commands, found[0].hint
        if command == "manage":
            assert sub in get_commands(), found[0].hint
