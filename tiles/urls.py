from django.urls import path, re_path

from . import packages, views

urlpatterns = [
    path("api/offline-packages/<str:area>.mbtiles", packages.OfflinePackage.as_view(), name="offline-package"),
    path("api/offline-packages/<str:area>/version", packages.OfflinePackageVersion.as_view(),
         name="offline-package-version"),
    path("tiles/<str:names>.json", views.tilejson, name="tilejson"),
    # Everything else under /tiles/ is parsed (and refused with a 400 if malformed) by tiles.request.
    re_path(r"^tiles/(?P<path>.*)$", views.tile, name="tile"),
]
