"""The WSGI fast path (tiles.fastpath): token clients' tiles are answered in front of Django, with the
same checks and the same bytes; errors fall through to the Django view for their JSON bodies."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tile_helpers import MVT, cached_keys, decode, tile_of

from accounts.models import ApiToken
from accounts.tokens import issue, key_hash
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


def issued_ago(user, ago: timedelta) -> str:
    """A token issued ``ago`` in the past by the application's clock (the database judges it now)."""
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - ago):
        return key(user)


def test_the_fast_path_refuses_expired_and_revoked_tokens(city, app, settings) -> None:
    wrapped, inner = app
    user = city.users["dispatcher"]
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    live = key(user)
    assert call(wrapped, path, live)[0] == 200 and inner.calls == 0  # the tile is cached now
    idle = issued_ago(user, timedelta(minutes=10, seconds=5))
    settings.GRIDCITY_TOKEN_IDLE_SECONDS, settings.GRIDCITY_TOKEN_LIFETIME_HOURS = 24 * 3600, 1
    old = issued_ago(user, timedelta(minutes=61))
    revoked = key(user)
    ApiToken.objects.filter(key_hash=key_hash(revoked)).update(revoked_at=timezone.now(), revoked_reason="test")
    for token in (idle, old, revoked):
        assert call(wrapped, path, token)[0] == 401
    assert inner.calls == 3  # each fell through to the Django view, which refused it too
    assert call(wrapped, path, live)[0] == 200 and inner.calls == 3


@pytest.mark.parametrize("event", ["password", "lock"])
def test_the_fast_path_refuses_a_token_after_a_password_change_or_a_lock(city, app, event: str) -> None:
    wrapped, inner = app
    user = city.users["dispatcher"]
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    token = key(user)
    assert call(wrapped, path, token)[0] == 200
    if event == "password":
        user.set_password("Changed-Pass-2025")
    else:
        user.locked_until = timezone.now() + timedelta(minutes=15)
    user.save()
    assert call(wrapped, path, token)[0] == 401 and inner.calls == 1


def test_the_fast_path_records_the_use_in_its_one_round_trip(city, app) -> None:
    wrapped, inner = app
    user = city.users["dispatcher"]
    path = PATH.format(*tile_of(120.42, 33.15, 16))
    call(wrapped, path, key(user))  # cache the tile
    token = issued_ago(user, timedelta(minutes=9))
    with CaptureQueriesContext(connection) as queries:
        assert call(wrapped, path, token)[0] == 200
    assert len(queries.captured_queries) == 1 and inner.calls == 0
    row = ApiToken.objects.get(key_hash=key_hash(token))
    assert row.last_used_at > row.created_at + timedelta(minutes=8)  # the idle window starts again
    assert row.last_used_at + row.idle > timezone.now() + timedelta(minutes=9)
