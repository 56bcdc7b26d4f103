"""The hot path of mobile clients: tiles for token requests, answered before Django's stack.

A WSGI wrapper around the site. For ``GET /tiles/….mvt`` with ``Authorization: Token …`` it
checks the path and filters against the registry, authenticates the token and looks up the
tile in the cache in one database round trip (``cache.cached_for_token``), checks the role may
read every layer, and answers the cached bytes (or 304); on a miss it builds the tile, answers,
and caches it after the response is sent. Anything else — an error of any kind, a session
client, a plain-HTTP request where HTTPS is required — falls through to the Django view
(``tiles.views.tile``), which does the same checks and reports errors as JSON; this only skips
middleware where nothing needs it. Its answers carry the security headers Django's middleware
would add (:func:`security_headers`, from the same settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import QueryDict

from layers.errors import GridcityError

from . import cache
from .request import for_actor, parse_spec
from .views import MVT, accepts_gzip, tile_headers

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[str, list[tuple[str, str]], bytes, Callable[[], None]]


def _nothing() -> None:
    """No work after a cache hit."""


class _Body(list[bytes]):
    """A WSGI body whose close() — called by the server once the response is sent — runs ``after``."""

    def __init__(self, body: bytes, after: Callable[[], None]) -> None:
        super().__init__([body])
        self.after = after

    def close(self) -> None:
        self.after()


def is_secure(environ: dict[str, Any]) -> bool:
    """HTTPS as Django judges it: the WSGI scheme, or the proxy header named by SECURE_PROXY_SSL_HEADER."""
    if environ.get("wsgi.url_scheme") == "https":
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    return bool(proxy) and environ.get(proxy[0], "").split(",")[0].strip() == proxy[1]


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers SecurityMiddleware, XFrameOptionsMiddleware and the platform's CSP middleware add
    to every response, from the same settings."""
    headers = []
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        headers.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
    if getattr(settings, "GRIDCITY_CSP", ""):
        headers.append(("Content-Security-Policy", settings.GRIDCITY_CSP))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    return headers


class CachedTiles:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer a token tile request here when it can be; otherwise pass it to Django."""
        path: str = environ.get("PATH_INFO", "")
        auth: str = environ.get("HTTP_AUTHORIZATION", "")
        tile_get = environ.get("REQUEST_METHOD") == "GET" and path.startswith("/tiles/") and path.endswith(".mvt")
        redirect = settings.SECURE_SSL_REDIRECT and not is_secure(environ)  # Django answers with the redirect
        if tile_get and auth.startswith("Token ") and not redirect:
            answer = self._answer(environ, path[len("/tiles/"):], auth[len("Token "):].strip())
            if answer is not None:
                status, headers, body, after = answer
                start_response(status, headers)
                return _Body(body, after)
        return self.app(environ, start_response)

    def _answer(self, environ: dict[str, Any], path: str, token: str) -> Answer | None:
        """(status, headers, body, work after sending) of a tile the token's user may see, else None."""
        try:
            spec = parse_spec(path, QueryDict(environ.get("QUERY_STRING", "")))
            found = cache.cached_for_token(token, spec)
            if found is None:
                return None
            user, tile = found
            req = for_actor(spec, user)
            if tile is None:
                tile, after = cache.build_then_store(req)
            else:
                after = _nothing
        except GridcityError:
            return None  # the Django view gives the error its JSON body
        except DatabaseError:
            connection.close()  # let Django's own request cycle reconnect
            return None
        headers = [*tile_headers(tile).items(), *security_headers(is_secure(environ))]
        if headers[0][1] in environ.get("HTTP_IF_NONE_MATCH", ""):
            return "304 Not Modified", headers, b"", after
        if accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = tile.gzipped
            headers.append(("Content-Encoding", "gzip"))
        else:
            body = cache.gunzip(tile)
        return "200 OK", [*headers, ("Content-Type", MVT), ("Content-Length", str(len(body)))], body, after
