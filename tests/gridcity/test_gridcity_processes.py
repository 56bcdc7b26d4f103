"""``gridcity serve`` runs the web server and the job workers side by side (gridcity/processes.py): when one
ends the others are stopped, SIGTERM stops all; and the compose file runs a worker service beside the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml

from gridcity.processes import run_together

ROOT = Path(__file__).resolve().parents[2]


def test_when_one_process_ends_the_others_are_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    waiting = [sys.executable, "-c", textwrap.dedent(f"""
        import signal, sys, time
        def stop(*_):
            open({str(marker)!r}, "w").write("terminated")
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        while True:
            time.sleep(0.1)
        """)]
    ending = [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(3)"]
    assert run_together([waiting, ending]) == 3  # the first ending one's exit code
    assert marker.read_text() == "terminated"


def test_sigterm_stops_every_process(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import sys
        from gridcity.processes import run_together
        sleeper = [sys.executable, "-c",
                   "import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\\\n'); time.sleep(60)"]
        sys.exit(run_together([sleeper, sleeper]))
        """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
        time.sleep(0.1)
    children = [int(p) for p in pids.read_text().split()]
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == 0
    for pid in children:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"child {pid} still runs")


def test_serve_starts_job_workers_beside_the_web_server(db, monkeypatch) -> None:
    """Serving checks first that its login is the unprivileged app role (the test's own login)."""
    from gridcity import cli

    started: list[list[list[str]]] = []
    monkeypatch.setattr("gridcity.processes.run_together", lambda commands: started.append(commands) or 0)
    assert cli.main(["serve", "--job-workers", "2"]) == 0
    web, *workers = started[0]
    assert web[:3] == [sys.executable, "-m", "gunicorn"]
    assert workers == [[sys.executable, "-m", "gridcity.cli", "worker"]] * 2


def test_compose_runs_a_worker_sharing_the_uploads_and_packages() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker = services["worker"]
    assert worker["command"] == ["gridcity", "worker"]
    assert {"packages:/var/lib/gridcity/packages", "imports:/var/lib/gridcity/imports"} <= set(worker["volumes"])
    assert worker["environment"]["DATABASE_URL"] == services["app"]["environment"]["DATABASE_URL"]
