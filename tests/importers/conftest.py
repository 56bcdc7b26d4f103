"""Fixtures of the import tests (the city, users and clients come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def uploads(monkeypatch, tmp_path) -> Path:
    """This test's upload folder (``importers.uploads.upload_dir`` reads GRIDCITY_IMPORT_DIR)."""
    folder = tmp_path / "uploads"
    monkeypatch.setenv("GRIDCITY_IMPORT_DIR", str(folder))
    return folder




@pytest.fixture
def imported(run_jobs, uploads):
    """``imported(client, path, **fields)``: upload ``path`` (answered 202 with the queued job), let the
    worker run it, and return the job as ``GET /api/imports/{id}/`` then shows it."""
    from import_files import upload

    def run(client, path: Path, **data: object) -> dict:
        response = upload(client, path, **data)
        assert response.status_code == 202, response.json()
        body = response.json()
        assert body["status"] == "queued", body
        run_jobs()
        detail = client.get(body["url"])
        assert detail.status_code == 200
        return detail.json()

    return run
