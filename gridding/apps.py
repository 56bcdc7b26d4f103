from django.apps import AppConfig


class GriddingConfig(AppConfig):
    name = "gridding"
