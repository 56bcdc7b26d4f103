from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "fleet"
    verbose_name = "车辆 Fleet"

    def ready(self) -> None:
        from . import layers  # noqa: F401  (registers the vehicles layer once)
