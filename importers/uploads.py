"""Where uploaded import files wait for their job: one folder per upload under ``GRIDCITY_IMPORT_DIR``,
deleted when the job ends, fails or is recovered, and swept when older than the retention."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings


def upload_dir() -> Path:
    folder = Path(os.environ.get("GRIDCITY_IMPORT_DIR") or Path(tempfile.gettempdir()) / "gridcity-imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(upload, suffix: str) -> Path:
    """Store an upload in a folder of its own under its own base name, so that messages and the
    summary name the file the user sent (:func:`discard` removes the folder when the job ends)."""
    folder = upload_dir() / uuid.uuid4().hex
    folder.mkdir()
    name = Path(upload.name or "").name
    usable = name not in ("", ".", "..") and Path(name).suffix.lower() == suffix and len(name.encode()) <= 200
    target = folder / (name if usable else f"upload{suffix}")  # a file name holds at most 255 bytes
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


def discard(upload: Path) -> None:
    """Delete an uploaded file and the folder of its own it was stored in (:func:`save`)."""
    upload.unlink(missing_ok=True)
    try:
        upload.parent.rmdir()
    except OSError:  # not empty, or already gone
        pass


def sweep(keep: set[Path]) -> int:
    """Delete the upload folders older than ``GRIDCITY_UPLOAD_RETENTION_HOURS`` that hold none of the
    ``keep`` files (those of unfinished jobs); how many were deleted."""
    cutoff = time.time() - settings.GRIDCITY_UPLOAD_RETENTION_HOURS * 3600
    kept = {p.parent for p in keep}
    deleted = 0
    for folder in upload_dir().iterdir():
        if folder.is_dir() and folder not in kept and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            deleted += 1
    return deleted
