"""The Content-Security-Policy header on every page and API answer (``GRIDCITY_CSP``).

The web map loads only self-hosted assets (Leaflet and its plugins are vendored from npm, never
a CDN) and keeps its settings in a JSON element rather than an inline script, so the policy can
refuse every inline script, inline style element and foreign origin.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.GRIDCITY_CSP:
            response.headers.setdefault("Content-Security-Policy", settings.GRIDCITY_CSP)
        return response
