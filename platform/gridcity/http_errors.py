"""The one place every error becomes an HTTP status and a JSON body (DRF's EXCEPTION_HANDLER).

Body: ``{"detail": message, "errors": [{"field", "rule", "message"}, …]}`` for project errors
(``layers.errors.GridcityError`` and subclasses), Django validation errors and DRF's own.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from layers.errors import GridcityError


def _drf_errors(detail: object, field: str | None = None) -> list[dict[str, str | None]]:
    """Flatten DRF's nested error detail into [{field, rule, message}]."""
    if isinstance(detail, dict):
        out: list[dict[str, str | None]] = []
        for key, value in detail.items():
            name = None if key == "non_field_errors" else (f"{field}.{key}" if field else str(key))
            out.extend(_drf_errors(value, name))
        return out
    if isinstance(detail, list):
        return [e for item in detail for e in _drf_errors(item, field)]
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": field, "rule": str(code), "message": str(detail)}]


def _body(message: str, field: str | None, rule: str) -> dict[str, object]:
    return {"detail": message, "errors": [{"field": field, "rule": rule, "message": message}]}


# Bodies Django refuses before a view sees them (DATA_UPLOAD_MAX_MEMORY_SIZE and its field/file counts).
TOO_LARGE = {
    RequestDataTooBig: "the request body is larger than the limit of {limit:,} bytes (GRIDCITY_MAX_BODY_BYTES)",
    TooManyFieldsSent: "the request has more form fields than the limit of {fields:,}",
    TooManyFilesSent: "the request has more files than the limit of {files:,}",
}
# The database cannot be reached (stopped, restarting, refusing connections) or the connection broke.
UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "the database is unavailable; try again in a moment"
UNAVAILABLE_PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>503 服务暂不可用"
                    "</title></head><body><h1>服务暂不可用 (503)</h1><p>数据库暂时无法连接，请稍后重试。</p>"
                    "<p>The database is unavailable; try again in a moment.</p></body></html>")
RETRY_AFTER_SECONDS = "5"


def too_large(exc: Exception) -> dict[str, object] | None:
    """The JSON body of a request Django refused for its size, or None for any other exception."""
    for kind, template in TOO_LARGE.items():
        if isinstance(exc, kind):
            message = template.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                                      fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                                      files=settings.DATA_UPLOAD_MAX_NUMBER_FILES)
            return _body(message, "body", "size_limit")
    return None


def wants_json(request: HttpRequest) -> bool:
    """API, tile and OGC clients get JSON errors; a browser asking for a page gets a page."""
    if request.path.startswith(("/api/", "/tiles/", "/geoserver/")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 for a request the database could not serve: JSON for clients, a plain page for browsers."""
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()  # the next request connects afresh
    if hasattr(request, "session"):
        # SessionMiddleware would load the session again to renew its cookie (SESSION_SAVE_EVERY_REQUEST)
        # and fail the same way; without one it leaves the answer alone.
        del request.session
    if wants_json(request):
        response: HttpResponse = JsonResponse(_body(UNAVAILABLE_MESSAGE, "database", "available"), status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every failure becomes {"detail", "errors": [{field, rule, message}]}."""
    if isinstance(exc, GridcityError):
        return Response(exc.as_json(), status=exc.status)
    sized = too_large(exc)
    if sized is not None:
        return Response(sized, status=413)
    if isinstance(exc, DjangoValidationError):
        errors = [
            {"field": field, "rule": e.code or "invalid", "message": " ".join(e.messages)}
            for field, items in exc.error_dict.items()
            for e in items
        ] if hasattr(exc, "error_dict") else [
            {"field": None, "rule": e.code or "invalid", "message": " ".join(e.messages)} for e in exc.error_list
        ]
        return Response({"detail": errors[0]["message"], "errors": errors}, status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied(str(exc) or None)
    response = drf_handler(exc, context)
    if response is not None and isinstance(exc, drf.APIException):
        errors = _drf_errors(exc.detail)
        message = errors[0]["message"] if errors else str(exc)
        response.data = {"detail": message, "errors": errors}
    return response


class ErrorMiddleware:
    """The same JSON error bodies for plain Django views (tiles) that raise project errors; 413 for
    request bodies Django refuses for their size; 503 (JSON for clients, a plain page for browsers)
    for any view — DRF's included, whose handler leaves database errors to Django — that finds the
    database unavailable, instead of a 500 or the debug page."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[operator]

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, GridcityError):
            return JsonResponse(exc.as_json(), status=exc.status, json_dumps_params={"ensure_ascii": False})
        sized = too_large(exc)
        if sized is not None:
            return JsonResponse(sized, status=413)
        return unavailable(request) if isinstance(exc, UNAVAILABLE) else None


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404 (DEBUG off): JSON for API, tile and OGC clients, Django's page for browsers."""
    if wants_json(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a session client's unsafe request without a valid CSRF token (JSON for clients)."""
    if wants_json(request):
        message = f"CSRF check failed ({reason}); send the csrftoken cookie's value as X-CSRFToken"
        return JsonResponse(_body(message, "X-CSRFToken", "csrf"), status=403)
    return csrf.csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 (DEBUG off): 503 when the failure was the database being unavailable outside a view
    (a middleware), a JSON 500 for API clients, Django's plain page for browsers."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return unavailable(request)
    if wants_json(request):
        return JsonResponse(_body("internal error; it has been logged", None, "internal"), status=500)
    return defaults.server_error(request)


@csrf_exempt  # it changes nothing: a POST to an unknown path is a 404, not a CSRF failure
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unrouted paths under /api/ answer in JSON like every other API error, not with an HTML page."""
    message = f"no API endpoint at {request.path}; see /api/schema/"
    return JsonResponse({"detail": message, "errors": [{"field": "path", "rule": "exists", "message": message}]},
                        status=404)
