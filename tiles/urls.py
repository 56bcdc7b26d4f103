from django.urls import path, re_path

from . import views

urlpatterns = [
    path("tiles/<str:names>.json", views.tilejson, name="tilejson"),
    # Everything else under /tiles/ is parsed (and refused with a 400 if malformed) by tiles.request.
    re_path(r"^tiles/(?P<path>.*)$", views.tile, name="tile"),
]
