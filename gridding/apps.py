from django.apps import AppConfig


class GriddingConfig(AppConfig):
    name = "gridding"
    verbose_name = "网格 Gridding"

    def ready(self) -> None:
        from . import layers  # noqa: F401  (registers the gridding layers once)
