from django.apps import AppConfig


class WebmapConfig(AppConfig):
    name = "webmap"
    verbose_name = "地图 Web map"
