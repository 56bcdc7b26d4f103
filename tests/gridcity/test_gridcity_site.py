"""The site itself: OpenAPI schema, the ``platform`` folder not shadowing the standard library,
settings from the environment, the one error handler, and the CLI's refusals."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from gridcity.cli import main as cli_main
from gridcity.cluster import Cluster
from gridcity.errors import SetupError
from gridcity.http_errors import exception_handler
from gridcity.settings.base import database_from_url, env_flag

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"


def test_openapi_schema_lists_the_layer_api(city) -> None:
    response = city.clients["dispatcher"].get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/layers/", "/api/layers/{layer}/features/", "/api/auth/token/", "/api/audit/"):
        assert path in schema["paths"], path
    assert {"get", "post"} <= set(schema["paths"]["/api/layers/{layer}/features/"])
    names = {p["name"] for p in schema["paths"]["/api/layers/{layer}/features/"]["get"].get("parameters", [])}
    assert {"bbox", "limit", "offset"} <= names


def test_the_platform_folder_does_not_shadow_the_standard_library() -> None:
    done = subprocess.run([str(PYTHON), "-c", "import platform; print(platform.system())"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Linux"


def test_database_url_is_parsed() -> None:
    db = database_from_url("postgresql://city%20user:p%40ss%3Aword@db.example.org:6543/grid%2Dcity")
    assert db["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "grid-city", "city user", "p@ss:word", "db.example.org", "6543")
    assert database_from_url("postgis://u@localhost/x")["PORT"] == ""


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u:p@localhost:3306/city", "'mysql'"),
    ("sqlite:///tmp/db.sqlite3", "'sqlite'"),
    ("postgresql://u:p@localhost:5432/", "names no database"),
])
def test_database_url_refuses_what_is_not_postgres(url: str, says: str) -> None:
    with pytest.raises(SetupError) as caught:
        database_from_url(url)
    assert says in caught.value.message


def test_env_flag(monkeypatch) -> None:
    for value, expected in [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False), ("", False)]:
        monkeypatch.setenv("GRIDCITY_TEST_FLAG", value)
        assert env_flag("GRIDCITY_TEST_FLAG") is expected
    monkeypatch.delenv("GRIDCITY_TEST_FLAG")
    assert env_flag("GRIDCITY_TEST_FLAG", default=True) is True


def test_production_settings_refuse_a_missing_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")}
    env["DJANGO_SETTINGS_MODULE"] = "gridcity.settings.prod"
    done = subprocess.run([str(PYTHON), "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in done.stderr


def test_cluster_credentials_are_private_and_stable(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "cluster")
    first = cluster.credentials()
    assert 54000 <= int(first["port"]) < 54900 and first["user"] == "gridcity" and len(str(first["password"])) >= 20
    assert stat.S_IMODE(cluster.credentials_file.stat().st_mode) == 0o600
    assert cluster.credentials() == first
    assert cluster.url("x") == f"postgresql://gridcity_app:{first['app_password']}@127.0.0.1:{first['port']}/x"
    assert cluster.url("x", "owner") == (f"postgresql://gridcity_owner:{first['owner_password']}@127.0.0.1:"
                                         f"{first['port']}/x")
    assert cluster.url("x", "superuser") == f"postgresql://gridcity:{first['password']}@127.0.0.1:{first['port']}/x"
    assert len({first["password"], first["owner_password"], first["app_password"]}) == 3
    assert not cluster.initialised() and not cluster.running()


def test_cli_reports_setup_errors_without_a_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GRIDCITY_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDCITY_PG_BIN", str(tmp_path / "no-such-bin"))
    assert cli_main(["db", "start"]) == 1
    assert "No PostgreSQL server binaries" in capsys.readouterr().err


def test_demo_mode_serves_on_localhost_only(settings, capsys) -> None:
    settings.GRIDCITY_DEMO = True
    assert cli_main(["serve", "--host", "0.0.0.0"]) == 2
    assert "localhost only" in capsys.readouterr().err


def test_cli_needs_a_command(capsys) -> None:
    with pytest.raises(SystemExit):
        cli_main([])
    assert "gridcity" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["grids", "check", "--help"], ["import", "--help"]])
def test_infrastructure_commands_are_registered_before_django_is_configured(command: list[str]) -> None:
    """The parser is built in a fresh process, without settings: no infrastructure command loads a model."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([str(PYTHON), "-m", "gridcity.cli", *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--user" in done.stdout


# -- the one error handler ----------------------------------------------------------------------------

def test_django_validation_errors_become_field_rule_message() -> None:
    response = exception_handler(ValidationError({"code": ValidationError("bad code", code="code_format")}), {})
    assert response.status_code == 400
    assert response.data == {"detail": "bad code",
                             "errors": [{"field": "code", "rule": "code_format", "message": "bad code"}]}
    response = exception_handler(ValidationError("no field", code="whole"), {})
    assert response.data["errors"] == [{"field": None, "rule": "whole", "message": "no field"}]


def test_django_404_and_403_keep_the_body_shape() -> None:
    assert exception_handler(Http404("gone"), {}).status_code == 404
    response = exception_handler(PermissionDenied("nope"), {})
    assert response.status_code == 403
    assert set(response.data) == {"detail", "errors"} and response.data["errors"][0]["message"]


def test_other_exceptions_are_left_to_django() -> None:
    assert exception_handler(RuntimeError("bug"), {}) is None



def test_docker_compose_database_runs_with_the_tuning() -> None:
    """The deployment's PostgreSQL runs with the settings the embedded cluster is measured with (and
    may add its own, such as shared_buffers for its host)."""
    import yaml

    from gridcity.cluster import TUNING

    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["db"]["command"]
    given = dict(arg.split("=", 1) for arg in command[2::2])
    assert command[0] == "postgres" and set(command[1::2]) == {"-c"}
    assert TUNING.items() <= given.items()
