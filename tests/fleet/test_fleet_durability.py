"""A database crash in the middle of a stream of GPS posts loses nothing the client was told was
stored: a throwaway embedded cluster serves a real ``gridcity serve``, and is killed (``pg_ctl stop
-m immediate``, no checkpoint, no flush) and restarted while a gateway posts the real tracks.

The embedded cluster runs with ``synchronous_commit = off`` (a demo's trade); the ingest commits
with it on, so this would fail without that."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from fleet_tracks import liverpool

from gridcity.cluster import Cluster, _find_bindir

BIN = Path(sys.executable).parent


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def throwaway() -> Cluster:
    home = Path(tempfile.mkdtemp(prefix="gridcity-crash-", dir="/tmp"))
    home.chmod(0o755)  # the server user must reach it
    cluster = Cluster(home)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


def _crash(cluster: Cluster) -> None:
    pg_ctl = str(_find_bindir() / "pg_ctl")
    subprocess.run(cluster._as_server_user([pg_ctl, "stop", "-m", "immediate", "-D", str(cluster.datadir)]),
                   check=True, capture_output=True)


def _post(url: str, key: str, fixes: list[dict]) -> int | None:
    request = urllib.request.Request(url, data=json.dumps({"fixes": fixes}).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Feed {key}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def test_a_crash_mid_stream_loses_no_acknowledged_fix(throwaway: Cluster, tmp_path: Path) -> None:
    url = throwaway.url()
    env = {**os.environ, "DATABASE_URL": url, "GRIDCITY_OWNER_DATABASE_URL": throwaway.url(role="owner"),
           "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([str(BIN / "gridcity"), "migrate", "--verbosity", "0"], env=env, check=True, timeout=600)
    key = subprocess.run([str(BIN / "gridcity"), "fleet", "credential", "create", "crash-test"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    fixes = [f.as_json() for f in liverpool()]
    terminals = sorted({f["terminal"] for f in fixes})
    with psycopg.connect(url, autocommit=True) as conn:
        for i, terminal in enumerate(terminals):
            conn.execute("INSERT INTO fleet_vehicle (created_at, updated_at, category, kind, name, plate, plate_colour,"
                         " \"group\", company, has_gps, has_weighing, has_video, terminal, area_code, available)"
                         " VALUES (now(), now(), 'vehicle', 'collection', '', %s, '', '', '', true, false, false, %s,"
                         " '320982', true)", [f"苏J{i:05d}", terminal])
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(BIN / "gridcity"), "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}/api/gps/fixes/"
    acknowledged: list[dict] = []
    failures = [0]
    batches = [fixes[i:i + 40] for i in range(0, len(fixes), 40)]

    def gateway() -> None:
        for batch in batches:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if _post(endpoint, key, batch) == 200:
                    acknowledged.extend(batch)
                    break
                failures[0] += 1
                time.sleep(0.2)

    try:
        while _post(endpoint, key, []) != 200:  # wait for gunicorn
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        stream = threading.Thread(target=gateway)
        stream.start()
        while len(acknowledged) < len(fixes) // 3:
            time.sleep(0.05)
        _crash(throwaway)
        time.sleep(1.0)
        throwaway.start()
        stream.join(timeout=300)
        assert not stream.is_alive()
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg.connect(url) as conn:
        stored = {(t, s.timestamp()) for t, s in conn.execute("SELECT terminal, time FROM fleet_fix")}
    from datetime import datetime

    wanted = {(f["terminal"], datetime.fromisoformat(f["time"]).timestamp()) for f in acknowledged}
    assert failures[0] > 0  # the crash was felt by the gateway
    assert len(acknowledged) == len(fixes) and wanted <= stored and len(stored) == len(fixes)
