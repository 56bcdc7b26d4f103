"""The one place every error becomes an HTTP status and a JSON body (DRF's EXCEPTION_HANDLER).

Body: ``{"detail": message, "errors": [{"field", "rule", "message"}, …]}`` for project errors
(``layers.errors.GridcityError`` and subclasses), Django validation errors and DRF's own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
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


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every failure becomes {"detail", "errors": [{field, rule, message}]}."""
    if isinstance(exc, GridcityError):
        return Response(exc.as_json(), status=exc.status)
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
    """The same JSON error bodies for plain Django views (tiles) that raise project errors."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[operator]

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, GridcityError):
            return JsonResponse(exc.as_json(), status=exc.status, json_dumps_params={"ensure_ascii": False})
        return None


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unrouted paths under /api/ answer in JSON like every other API error, not with an HTML page."""
    message = f"no API endpoint at {request.path}; see /api/schema/"
    return JsonResponse({"detail": message, "errors": [{"field": "path", "rule": "exists", "message": message}]},
                        status=404)
