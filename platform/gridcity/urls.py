from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from audit.views import AuditLog
from geoserver.access import OgcAccess
from gridcity.http_errors import api_not_found

urlpatterns = [
    path("api/", include("layers.api.urls")),
    path("api/", include("accounts.urls")),
    path("api/audit/", AuditLog.as_view(), name="audit-log"),
    path("api/imports/", include("importers.urls")),
    path("api/gridding/", include("gridding.urls")),
    path("api/geocode/", include("geocoding.urls")),
    path("api/", include("fleet.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/ogc/access/", OgcAccess.as_view(), name="ogc-access"),
    path("admin/", admin.site.urls),
    path("", include("tiles.urls")),
    re_path(r"^api/(?P<rest>(?s:.*))$", api_not_found),
    path("", include("webmap.urls")),
]

handler404 = "gridcity.http_errors.not_found"
handler500 = "gridcity.http_errors.server_error"
