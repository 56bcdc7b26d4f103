"""Fixtures of the import tests (the city, users and clients come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def uploads(monkeypatch, tmp_path) -> Path:
    """This test's upload folder (``importers.views.upload_dir`` reads GRIDCITY_IMPORT_DIR)."""
    folder = tmp_path / "uploads"
    monkeypatch.setenv("GRIDCITY_IMPORT_DIR", str(folder))
    return folder

