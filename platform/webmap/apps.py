"""Django app of the web map: the login page, the map page and their static files."""

from django.apps import AppConfig


class WebmapConfig(AppConfig):
    name = "webmap"
    verbose_name = "地图 Web map"
