"""Import memory against file size: the census import must stream, not load the file whole.

    .venv/bin/python -m benchmarks.import_memory [--scales 0.25,0.5,1,2] [--seed 320982] [--no-csv] [--keep]

The readers promise that memory stays flat with file size (``importers.readers`` hands the
importer batches of ``BATCH_ROWS`` rows). This checks the promise end to end. It creates its own
scratch database ``gridcity_bench_import_memory`` on the embedded cluster (the dev database is
never touched), migrates it and loads the demo district **without** components, as
``benchmarks.imports`` does. Then, for each scale, it generates the district's components with
``democity.generate.generate_city(seed, scale)`` (1.0 = 138,662 components), writes them as

- a GeoPackage (all components, EPSG:4490), and
- a UTF-8 CSV of the point components with 经度/纬度 columns (imported with ``--crs EPSG:4490``),

and imports each file twice, each time with ``importers.load.run("components", file, actor)`` in
a **fresh child process**, so no allocator state, cache or leftover object of an earlier run
counts:

- *import*: into the emptied components layer, with no row digest remembered (``TRUNCATE
  layers_component, importers_rowdigest``, as ``benchmarks.imports`` does) — the full path;
- *re-import*: the same file again, unchanged — the digest path (a first pass recognises every
  row, nothing is converted or staged).

The child sets up Django, imports the importer and its libraries and connects to the database;
its resident memory then is the *baseline*. It resets the kernel's high-water mark
(``/proc/self/clear_refs``), runs the import, and reports its *peak* (``VmHWM``) — also its
resident memory at the first and the last progress report (after each staged batch; the
re-import reports once, after its first pass), which separates the cost of one batch from any
growth across batches. PostgreSQL's own backend is a separate process and is not counted: this
measures the importer.

Memory is flat when *peak − baseline* does not grow with the number of rows: the summary line
gives, per format, the ratio of the increase at the largest scale to the increase at the
smallest next to the ratio of rows (×1 is flat; growing with rows would match the rows'
ratio), and what the increase still grows between the two largest files (MB per 100,000 rows):
*flat* when a file twice the largest would, at that rate, add less than a tenth to its increase.
Expect files of a few batches to show less than the rest: the allocators (glibc's heap, whose
mmap threshold rises as large blocks are freed, and Python's arenas) take some fifteen batches
to reach their steady state, so the full import levels off only from about scale 2.

The scratch database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from benchmarks.imports import (
    ROOT,
    as_owner,
    component_frame,
    in_scratch_database,
    load_district_without_components,
    setup,
)

DATABASE = "gridcity_bench_import_memory"
RESULT = "IMPORT-MEMORY-RESULT "  # the child's one line for the parent, among whatever else it prints


def status_mb() -> dict[str, float]:
    """This process's resident memory now (``VmRSS``) and its high-water mark (``VmHWM``), in MB."""
    with open("/proc/self/status") as fh:
        return {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in fh)
                if k in ("VmRSS", "VmHWM")}


def reset_peak() -> bool:
    """Set ``VmHWM`` to the current ``VmRSS`` (Linux ≥ 4.0); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


# --- the child: one import, measured ------------------------------------------------------------

def child(path: Path, crs: str | None) -> int:
    """Import ``path`` as components and print one result line (JSON) for the parent."""
    sys.path.insert(0, str(ROOT / "platform"))
    from gridcity.cli import django_setup

    django_setup()
    # Everything the import needs, loaded before the baseline: only the import itself is measured.
    import numpy  # noqa: F401
    import pyarrow  # noqa: F401
    import pyogrio  # noqa: F401
    import shapely  # noqa: F401
    from django.db import connection

    from importers import load
    from importers.kinds import get
    from layers.models import Component  # noqa: F401

    get("components")
    connection.ensure_connection()
    gc.collect()
    baseline = status_mb()["VmRSS"]
    reset = reset_peak()
    after: list[float] = []

    def progress(rows: int) -> None:
        after.append(status_mb()["VmRSS"])

    actor = SimpleNamespace(username="bench", role="admin", jurisdiction_code="")
    start = time.perf_counter()
    result = load.run("components", path, actor, load.Options(crs=crs), progress=progress)
    seconds = time.perf_counter() - start
    now = status_mb()
    print(RESULT + json.dumps({
        "rows": result.rows, "inserted": result.counts.inserted, "unchanged": result.counts.unchanged,
        "rejected": result.rejected, "baseline": baseline, "peak": now["VmHWM"], "end": now["VmRSS"],
        "peak_reset": reset, "first_report": after[0] if after else baseline,
        "last_report": after[-1] if after else baseline, "seconds": seconds}), flush=True)
    return 0


# --- the parent: files, children, table -------------------------------------------------------

@dataclass
class Measured:
    fmt: str
    step: str
    scale: float
    size_mb: float
    rows: int
    baseline: float
    peak: float
    first_report: float
    last_report: float
    batches: int
    seconds: float

    @property
    def increase(self) -> float:
        return self.peak - self.baseline


def measure(path: Path, url: str, crs: str | None) -> dict:
    """Run the import of ``path`` in a fresh interpreter; its result line as a dict."""
    argv = [sys.executable, "-m", "benchmarks.import_memory", "--child", str(path), *(["--crs", crs] if crs else [])]
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        sys.exit(f"the import of {path.name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1][len(RESULT):])


def write_files(c, folder: Path, csv: bool) -> list[tuple[str, Path, int, str | None]]:
    """The components as a GeoPackage (and the points as a CSV): (format, path, rows, --crs)."""
    import logging

    import shapely

    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # not "Created 138,662 records" per file
    gdf = component_frame(c)
    gpkg = folder / "census.gpkg"
    gdf.to_file(gpkg, driver="GPKG", engine="pyogrio")
    files: list[tuple[str, Path, int, str | None]] = [("gpkg", gpkg, len(gdf), None)]
    if csv:
        points = gdf[gdf.geom_type == "Point"]
        table = points.drop(columns="geometry")
        table["经度"] = shapely.get_x(points.geometry.values)
        table["纬度"] = shapely.get_y(points.geometry.values)
        path = folder / "census.csv"
        table.to_csv(path, index=False, encoding="utf-8", float_format="%.8f")
        files.append(("csv", path, len(table), "EPSG:4490"))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--scales", default="0.25,0.5,1,2", help="comma-separated demo scales (1 = 138,662 rows)")
    parser.add_argument("--seed", type=int, default=320982)
    parser.add_argument("--no-csv", action="store_true", help="GeoPackage only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--crs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.crs)
    try:
        args.scales = sorted({float(s) for s in args.scales.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--scales takes numbers separated by commas, e.g. 0.25,0.5,1,2 (got {args.scales!r})")
    if not args.scales:
        parser.error("--scales names no scale")

    return in_scratch_database(DATABASE, args.keep, lambda url: run(url, args))


def run(url: str, args: argparse.Namespace) -> int:
    setup(url)
    from gridcity.cli import django_setup

    django_setup()

    from democity.generate import generate_city
    from importers.readers import BATCH_ROWS

    measured: list[Measured] = []
    header = (f"{'file':<5}{'step':<10}{'scale':>5}{'rows':>10}{'size MB':>9}{'batches':>8}{'baseline':>9}"
              f"{'1st report':>11}{'last report':>12}{'peak':>6}{'peak−base':>10}{'time':>8}")
    for i, scale in enumerate(args.scales):
        city = generate_city(args.seed, scale)  # grids, streets … do not depend on scale: drawn first
        c = city.components
        if i == 0:
            load_district_without_components(city)
            print(header, flush=True)
        with tempfile.TemporaryDirectory(prefix="gridcity-bench-") as tmp:
            for fmt, path, rows, crs in write_files(c, Path(tmp), not args.no_csv):
                as_owner("TRUNCATE layers_component, importers_rowdigest")  # not audited: setup only
                for step, counted in (("import", "inserted"), ("re-import", "unchanged")):
                    r = measure(path, url, crs)
                    assert r["rows"] == rows and r[counted] == rows and r["rejected"] == 0, (step, r)
                    if not r["peak_reset"]:
                        print("(the kernel would not reset VmHWM: peaks include the start-up)", flush=True)
                    m = Measured(fmt, step, scale, path.stat().st_size / 2**20, rows, r["baseline"], r["peak"],
                                 r["first_report"], r["last_report"], -(-rows // BATCH_ROWS), r["seconds"])
                    measured.append(m)
                    print(f"{fmt:<5}{step:<10}{scale:>5g}{rows:>10,}{m.size_mb:>9.1f}{m.batches:>8}"
                          f"{m.baseline:>9.0f}{m.first_report:>11.0f}{m.last_report:>12.0f}{m.peak:>6.0f}"
                          f"{m.increase:>10.0f}{m.seconds:>7.1f}s", flush=True)
        del city, c
    summarise(measured)
    return 0


def summarise(measured: list[Measured]) -> None:
    """Per format: increase and rows, largest over smallest file, and the increase's growth between
    the two largest files (what a still larger file would add)."""
    print("sizes in MB of resident memory (VmRSS; peak = VmHWM) of the importing process")
    for fmt, step in dict.fromkeys((m.fmt, m.step) for m in measured):
        ms = sorted((m for m in measured if (m.fmt, m.step) == (fmt, step)), key=lambda m: m.rows)
        if len(ms) < 2:
            continue
        small, large = ms[0], ms[-1]
        rows = large.rows / small.rows
        ratio = large.increase / small.increase if small.increase > 0 else float("inf")
        margin = (large.increase - ms[-2].increase) / (large.rows - ms[-2].rows) * 1e5
        # Flat: a file twice the largest would add less than a tenth to its increase.
        verdict = "flat" if margin * large.rows / 1e5 < 0.1 * large.increase else "grows with rows"
        print(f"{fmt} {step}: rows ×{rows:.2f} ({small.rows:,} → {large.rows:,}); peak − baseline ×{ratio:.2f} "
              f"({small.increase:.0f} → {large.increase:.0f} MB; growing with rows would be ×{rows:.2f}); "
              f"between the two largest files {margin:+.1f} MB per 100,000 rows — {verdict}")


if __name__ == "__main__":
    sys.exit(main())
