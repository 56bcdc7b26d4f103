"""The login page and the map page; everything else the map needs comes from the JSON APIs and the vector tiles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD, DEMO_USERNAMES
from layers.roles import AUDITOR, ROLES, SECADMIN
from tiles.request import MAX_ZOOM

from .forms import LoginForm

# 三员: the security administrator and the auditor read no business data, so they get their own
# pages instead of the map: the user administration and the audit log.
HOMES = {SECADMIN: "/admin/accounts/user/", AUDITOR: "/api/audit/"}
# Where the map opens when the districts layer has no features (Dafeng, the reference deployment).
FALLBACK_VIEW = {"lon": 120.47, "lat": 33.2, "zoom": 12}


def demo_accounts() -> dict[str, object] | None:
    """The published demo accounts to show on the login page, or None outside demo mode."""
    if not settings.GRIDCITY_DEMO:
        return None
    return {
        "password": DEMO_PASSWORD,
        "accounts": [{"username": name, "role": ROLES.get(name, "")} for name in DEMO_USERNAMES],
    }


class LoginPage(LoginView):
    """用户登录: the Chinese login form, plus the demo accounts in demo mode."""

    template_name = "webmap/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "demo": demo_accounts()}


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    """The full-screen map; the script reads its settings from the ``webmap-config`` JSON element."""
    home = HOMES.get(getattr(request.user, "role", ""))
    if home:
        return redirect(home)
    config = {
        "layersUrl": reverse("layer-list"),
        "meUrl": reverse("auth-me"),
        "loginUrl": reverse("login"),
        "componentClassesUrl": reverse("component-classes"),
        # Vector tiles of one or more layers: {tilesUrl}{layer,layer…}/{z}/{x}/{y}.mvt
        "tilesUrl": reverse("tile", kwargs={"path": ""}),
        "maxZoom": MAX_ZOOM,
        "roles": ROLES,
        "fallback": FALLBACK_VIEW,
        # The fleet overlay (fleet/static/fleet/fleet.js): live vehicles and track playback.
        "fleet": {"live": reverse("vehicle-live"), "stream": reverse("vehicle-live-stream"),
                  "vehicles": reverse("vehicle-list"), "nearest": reverse("fleet-nearest")},
    }
    return render(request, "webmap/map.html", {"config": config})
