"""The WSGI fast path (tiles.fastpath): token clients' tiles are answered in front of Django, with the
same checks and the same bytes; errors fall through to the Django view for their JSON bodies."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from tile_helpers import MVT, cached_keys, decode, tile_of

from accounts.tokens import issue
from gridcity.wsgi import django_application
from tiles.fastpath import CachedTiles

PATH = "/tiles/components/{}/{}/{}.mvt"


class Recorder:
    """Wraps the Django application to tell whether a request reached it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


def call(app, path: str, token: str | None = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    extra = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    environ = RequestFactory(SERVER_NAME="localhost").get(path, **extra, **headers).environ
    seen: dict[str, object] = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    result = app(environ, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):  # as a WSGI server must
        result.close()
    return int(str(seen["status"]).split()[0]), seen["headers"], body  # type: ignore[return-value]


@pytest.fixture
def app() -> Iterator[tuple[CachedTiles, Recorder]]:
    """The real WSGI stack; like Django's test client, it keeps the test's database connection open."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    inner = Recorder()
    yield CachedTiles(inner), inner
    for signal in signals:
        signal.connect(close_old_connections)


def key(user) -> str:
    return issue(user, "tile tests")[0]


def test_token_tiles_skip_django_and_match_what_django_serves(city, app) -> None:
    wrapped, inner = app
    token = key(city.users["dispatcher"])
    z, x, y = tile_of(120.42, 33.15, 16)
    path = PATH.format(z, x, y)
    status, headers, built = call(wrapped, path, token)  # a miss: built here, cached after sending
    assert status == 200 and inner.calls == 0
    assert (("components",), z, x, y) in cached_keys()
    status, headers, hit = call(wrapped, path, token)
    assert status == 200 and inner.calls == 0
    assert hit == built and headers["Content-Type"] == MVT
    django_client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert django_client.get(path).content == hit
    assert [f["properties"]["code"] for f in decode(hit)["components"]["features"]] == ["3209820101000001"]
    status, headers, gz = call(wrapped, path, token, HTTP_ACCEPT_ENCODING="gzip")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(gz) == hit and inner.calls == 0
    status, _, body = call(wrapped, path, token, HTTP_IF_NONE_MATCH=headers["ETag"])
    assert (status, body, inner.calls) == (304, b"", 0)


def test_the_fast_path_keeps_the_jurisdiction_apart(city, app) -> None:
    """A street-limited surveyor must not get the district-wide dispatcher's cached tile."""
    wrapped, inner = app
    path = PATH.format(*tile_of(120.55, 33.15, 16))  # a component of the east street
    _, _, wide = call(wrapped, path, key(city.users["dispatcher"]))
    _, _, narrow = call(wrapped, path, key(city.users["surveyor"]))  # surveyor: west street only
    assert decode(wide)["components"]["features"] and not decode(narrow).get("components", {}).get("features")
    assert inner.calls == 0


def test_bad_tokens_and_bad_paths_fall_through_to_the_json_errors(city, app) -> None:
    wrapped, inner = app
    token = key(city.users["dispatcher"])
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    call(wrapped, path, token)
    assert call(wrapped, path, "not-a-token")[0] == 401
    assert call(wrapped, "/tiles/components/23/0/0.mvt", token)[0] == 400
    assert call(wrapped, "/tiles/nope/1/0/0.mvt", token)[0] == 404
    city.users["dispatcher"].is_active = False
    city.users["dispatcher"].save()
    assert call(wrapped, path, token)[0] == 401, "a deactivated user's cached tile must not be served"
    assert inner.calls == 4
