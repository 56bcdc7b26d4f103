from django.urls import path, re_path

from . import packages, views

urlpatterns = [
    path("api/offline-packages/", packages.PackageBuilds.as_view(), name="offline-packages"),
    path("api/offline-packages/builds/<int:pk>/", packages.PackageBuildDetail.as_view(), name="offline-package-build"),
    path("api/offline-packages/builds/<int:pk>/package.mbtiles", packages.PackageDownload.as_view(),
         name="offline-package-download"),
    path("api/offline-packages/<str:area>/version", packages.OfflinePackageVersion.as_view(),
         name="offline-package-version"),
    path("tiles/<str:names>.json", views.tilejson, name="tilejson"),
    # Everything else under /tiles/ is parsed (and refused with a 400 if malformed) by tiles.request.
    re_path(r"^tiles/(?P<path>.*)$", views.tile, name="tile"),
]
