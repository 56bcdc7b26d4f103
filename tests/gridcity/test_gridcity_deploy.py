"""The deployment (issue 19): TLS from mounted certificate files, HTTP redirected to HTTPS, HSTS with
includeSubDomains and secure cookies in the production settings, and GeoServer's OGC path behind
the platform's login (nginx ``auth_request`` to ``/api/ogc/access/``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

from geoserver.access import OgcAccess

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def servers(conf: str) -> dict[str, str]:
    """The text of each ``server { … }`` block, by its first ``listen`` port."""
    conf = re.sub(r"#[^\n]*", "", conf)  # comments, then braces inside quoted strings (a JSON body)
    conf = re.sub(r"'[^']*'", "''", conf)
    blocks, depth, start = {}, 0, None
    for match in re.finditer(r"\bserver\s*\{|\{|\}", conf):
        if match.group().startswith("server") and depth == 0:
            start = match.end()
        if match.group().endswith("{"):
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start is not None:
                body = conf[start:match.start()]
                blocks[re.search(r"listen\s+(\d+)", body).group(1)] = body  # type: ignore[union-attr]
                start = None
    return blocks


def location(block: str, name: str) -> str:
    return re.search(r"location\s+" + re.escape(name) + r"\s*\{(.*?)\n    \}", block, re.S).group(1)  # type: ignore


def test_compose_serves_https_with_certificates_from_mounted_files() -> None:
    cache = compose()["services"]["cache"]
    assert {port.split(":")[-1] for port in cache["ports"]} == {"80", "443"}
    tls = [v for v in cache["volumes"] if v.split(":")[-2] == "/etc/nginx/tls"]
    assert len(tls) == 1 and tls[0].endswith(":ro") and tls[0].startswith("${GRIDCITY_TLS_DIR:?")
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in cache["volumes"]
    assert compose()["services"]["geoserver"]["environment"]["PROXY_BASE_URL"].split(":-")[1].startswith("https://")
    assert "ports" not in compose()["services"]["geoserver"]  # reachable through the proxy only


def test_nginx_redirects_http_and_sends_hsts_with_subdomains() -> None:
    blocks = servers(NGINX_CONF.read_text())
    assert set(blocks) == {"80", "443"}
    plain = blocks["80"]
    assert re.findall(r"^\s*(\w+)", plain, re.M) == ["listen", "server_tokens", "location", "return"]
    assert "return 301 https://$host$request_uri;" in plain
    secure = blocks["443"]
    assert re.search(r"listen 443 ssl", secure)
    assert "ssl_certificate /etc/nginx/tls/fullchain.pem;" in secure
    assert "ssl_certificate_key /etc/nginx/tls/privkey.pem;" in secure
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in secure
    hsts = re.findall(r'add_header Strict-Transport-Security "([^"]+)" always;', secure)
    assert hsts and set(hsts) == {"max-age=31536000; includeSubDomains"}
    # a location with its own add_header does not inherit the server's: each such one repeats HSTS
    for body in re.findall(r"location[^{]*\{(.*?)\n    \}", secure, re.S):
        if "add_header" in body:
            assert "Strict-Transport-Security" in body, body


def test_geoserver_is_behind_the_platforms_login() -> None:
    secure = servers(NGINX_CONF.read_text())["443"]
    ogc = location(secure, "/geoserver/")
    assert "auth_request /_ogc_access;" in ogc
    assert 'proxy_set_header Authorization "";' in ogc and 'proxy_set_header Cookie "";' in ogc
    check = location(secure, "= /_ogc_access")
    assert "internal;" in check and "proxy_method GET;" in check and "proxy_pass_request_body off;" in check
    upstream_path = re.search(r"proxy_pass http://gridcity_app(/\S*);", check).group(1)  # type: ignore[union-attr]
    assert resolve(upstream_path).func.view_class is OgcAccess
    # GeoServer is reached through that one location only, and its administration not at all
    assert secure.count("proxy_pass http://gridcity_geoserver") == 1
    assert re.search(r"location ~ \^/geoserver/\(web\|rest\)\(/\|\$\) \{\s*return 403;", secure)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is installed by scripts/bootstrap.sh")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    """``nginx -t`` on deploy/nginx.conf, with the compose names and mounts replaced by local ones."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    conf = (NGINX_CONF.read_text().replace("server app:8000", "server 127.0.0.1:8000")
            .replace("server geoserver:8080", "server 127.0.0.1:8080")
            .replace("/var/cache/nginx/tiles", str(tmp_path / "tiles")).replace("/etc/nginx/tls/", f"{tls}/"))
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_ogc_access_answers_the_proxy(city) -> None:
    url = "/api/ogc/access/"
    assert city.anonymous.get(url).status_code == 401
    assert city.clients["admin"].get(url).status_code == 204
    refused = city.clients["planner"].get(url)  # a planner scoped to a street: GeoServer cannot scope
    assert refused.status_code == 403 and refused.json()["errors"][0] == {
        "field": "jurisdiction", "rule": "ogc_access", "message": refused.json()["detail"]}
    assert city.clients["auditor"].get(url).json()["errors"][0]["field"] == "role"


PROBE = r"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
plain = Client(SERVER_NAME="gridcity.example.cn").get("/api/layers/")
proxied = Client(SERVER_NAME="gridcity.example.cn").get("/api/layers/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "proxied": [proxied.status_code, proxied.headers.get("Strict-Transport-Security")],
    "settings": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT],
}))
"""


def test_production_settings_redirect_to_https_and_send_hsts_with_subdomains() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridcity.settings.prod", "DJANGO_SECRET_KEY": "x" * 50,
           "DJANGO_ALLOWED_HOSTS": "gridcity.example.cn"}
    done = subprocess.run([str(PYTHON), "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://gridcity.example.cn/api/layers/"]
    assert seen["proxied"] == [401, "max-age=31536000; includeSubDomains"]  # served, over HTTPS, to no one
    assert seen["settings"] == [True, True, True]
