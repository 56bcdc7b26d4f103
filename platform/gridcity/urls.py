from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.views import Me, ObtainToken
from audit.views import AuditLog
from gridcity.http_errors import api_not_found

urlpatterns = [
    path("api/", include("layers.api.urls")),
    path("api/auth/token/", ObtainToken.as_view(), name="auth-token"),
    path("api/auth/me/", Me.as_view(), name="auth-me"),
    path("api/audit/", AuditLog.as_view(), name="audit-log"),
    path("api/imports/", include("importers.urls")),
    path("api/gridding/", include("gridding.urls")),
    path("api/geocode/", include("geocoding.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("admin/", admin.site.urls),
    path("", include("tiles.urls")),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("", include("webmap.urls")),
]
