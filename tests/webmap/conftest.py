"""Fixtures of the browser tests: the demo city in a database of its own, served by ``gridcity serve``
as a real subprocess, and Debian's Chromium driven headless through playwright.

Everything runs through the same commands a user types (``gridcity migrate``, ``gridcity demo``,
``gridcity serve``), with ``DATABASE_URL`` pointing at a throwaway database on the embedded
cluster, dropped at the end of the session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from psycopg import sql

from gridcity.cluster import Cluster

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BIN = Path(sys.executable).parent
SERVER_START_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gridcity(args: list[str], env: dict[str, str]) -> None:
    """Run one ``gridcity`` command to completion; fail the session with its output if it fails."""
    done = subprocess.run([str(BIN / "gridcity"), *args], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"gridcity {' '.join(args)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until the server answers; fail with its log if it exits or stays silent."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gridcity serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:  # refused, reset or timed out while gunicorn's workers boot (URLError is an OSError)
            time.sleep(0.3)
    pytest.fail(f"gridcity serve did not answer {url} within {SERVER_START_SECONDS} s:\n{log.read_text()}")


def _drop_database(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.url("postgres", "superuser"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def browser_database_url() -> Iterator[str]:
    """A fresh database ``gridcity_browser_<pid>`` on the embedded cluster, dropped afterwards; its URL
    logs in as the app role."""
    cluster = Cluster.default()
    cluster.start()
    name = f"gridcity_browser_{os.getpid()}"
    cluster.ensure_database(name)
    try:
        yield cluster.url(name)
    finally:
        _drop_database(cluster, name)


@pytest.fixture(scope="session")
def live_url(browser_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform with the demo city (scale 0.01), served by gunicorn on a free port."""
    owner_url = Cluster.default().url(urlsplit(browser_database_url).path.lstrip("/"), "owner")
    env = {**os.environ, "DATABASE_URL": browser_database_url, "GRIDCITY_OWNER_DATABASE_URL": owner_url,
           "DJANGO_SETTINGS_MODULE": "gridcity.settings.dev",
           "GRIDCITY_DEMO": "1", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           # Threaded workers: a sync worker blocks on a connection Chromium opened ahead and left idle,
           # and with the map's parallel tile requests two such workers can stall the next page load.
           "GUNICORN_CMD_ARGS": "--threads 4"}
    _gridcity(["migrate", "--verbosity", "0"], env)
    _gridcity(["demo", "--scale", "0.01"], env)
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(BIN / "gridcity"), "serve", "--port", str(port), "--workers", "2"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{url}/login/", server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/bootstrap.sh does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no stored theme) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
