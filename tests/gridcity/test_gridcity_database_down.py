"""With the database unavailable, clients get a JSON 503 saying so and browsers a plain 503 page —
never a 500 or the debug page (issue 19).

The platform runs in a process of its own with the development settings (DEBUG on, so a 500 would
be the debug page) and ``DATABASE_URL`` pointing at a port where no PostgreSQL listens: every
connection attempt really fails, as when the server is stopped. Requests go through the full WSGI
application (the token tile fast path included).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"

# Runs in the child: each request through the WSGI app, answered as (status, content type, body, Retry-After).
PROBE = r"""
import io, json, sys
import django
django.setup()
from django.test import RequestFactory
from gridcity.wsgi import application

def call(method, path, body=b"", **headers):
    environ = getattr(RequestFactory(SERVER_NAME="localhost"), method)(path, **headers).environ
    if body:
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                        "CONTENT_TYPE": "application/json"})
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)
    content = b"".join(application(environ, start_response)).decode()
    return [int(seen["status"].split()[0]), seen["headers"].get("Content-Type", ""), content,
            seen["headers"].get("Retry-After")]

token = {"HTTP_AUTHORIZATION": "Token 0123456789abcdef0123456789abcdef01234567"}
session = {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}
print(json.dumps({
    "layers by token": call("get", "/api/layers/", **token),
    "layers by session": call("get", "/api/layers/", **session),
    "feature write": call("post", "/api/layers/components/features/", b'{"type": "Feature"}', **token),
    "token tile": call("get", "/tiles/components/12/3419/1623.mvt", **token),
    "map page": call("get", "/", **session),
    "map page, no cookie": call("get", "/", HTTP_ACCEPT="text/html"),
}))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when this returns: nothing listens there


def test_clients_get_a_json_503_and_browsers_a_plain_503_page() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev", "DJANGO_DEBUG": "1",
           "DATABASE_URL": f"postgresql://gridcity:secret@127.0.0.1:{_closed_port()}/gridcity",
           "GRIDCITY_CONN_MAX_AGE": "0"}
    done = subprocess.run([str(PYTHON), "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("layers by token", "layers by session", "feature write", "token tile"):
        status, content_type, body, retry = answers[name]
        assert (status, content_type, retry) == (503, "application/json", "5"), (name, answers[name])
        assert json.loads(body) == {"detail": "the database is unavailable; try again in a moment", "errors": [
            {"field": "database", "rule": "available", "message": "the database is unavailable; try again in a moment"}
        ]}
    status, content_type, body, retry = answers["map page"]
    assert (status, retry) == (503, "5") and content_type.startswith("text/html"), answers["map page"]
    assert "服务暂不可用" in body and "Traceback" not in body and "DEBUG" not in body
    # Without a session cookie the map page needs no database: it sends the browser to the login page.
    assert answers["map page, no cookie"][0] == 302
