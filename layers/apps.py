from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "图层 Layers"

    def ready(self) -> None:
        from . import catalog  # noqa: F401  (registers every layer once)
