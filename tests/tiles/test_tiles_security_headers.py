"""Token tiles answered by the WSGI fast path carry the same security headers as Django's answers
(issue 19: they carried none), over HTTP and over HTTPS (HSTS), and a plain-HTTP request where HTTPS
is required is left to Django's redirect."""

from __future__ import annotations

from django.test import Client
from test_tiles_fastpath import PATH, app, call, key  # noqa: F401  (app is a fixture)
from tile_helpers import tile_of

SECURITY = ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy",
            "Content-Security-Policy", "Strict-Transport-Security")


def security(headers) -> dict[str, str]:
    return {name: headers[name] for name in SECURITY if name in headers}


def test_fast_path_tiles_carry_djangos_security_headers(city, app, settings) -> None:  # noqa: F811
    wrapped, inner = app
    token = key(city.users["dispatcher"])
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    status, headers, _ = call(wrapped, path, token)
    assert status == 200 and inner.calls == 0
    django = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {token}").get(path)
    expected = security(django.headers)
    assert {"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"} <= set(expected)
    assert security(headers) == expected

    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    status, headers, _ = call(wrapped, path, token, HTTP_X_FORWARDED_PROTO="https")
    assert status == 200 and inner.calls == 0
    django = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {token}").get(
        path, HTTP_X_FORWARDED_PROTO="https")
    assert security(headers) == security(django.headers)
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_where_https_is_required_is_left_to_djangos_redirect(city, app, settings) -> None:  # noqa: F811
    """(Django's SecurityMiddleware, built once, redirects it: tests/gridcity/test_gridcity_deploy.py.)"""
    wrapped, inner = app
    token = key(city.users["dispatcher"])
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    settings.SECURE_SSL_REDIRECT = True
    call(wrapped, path, token)
    assert inner.calls == 1
    call(wrapped, path, token, HTTP_X_FORWARDED_PROTO="https")  # not without the proxy's header …
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    status, _, _ = call(wrapped, path, token, HTTP_X_FORWARDED_PROTO="https")  # … but with it, once trusted
    assert status == 200 and inner.calls == 2
