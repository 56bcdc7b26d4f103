from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "图层 Layers"

    def ready(self) -> None:
        from . import catalog  # noqa: F401  (registers every layer once)
        from .links import install_after_migrate
        from .maintenance import register_after_migrate

        post_migrate.connect(install_after_migrate, dispatch_uid="layers.install_links")
        post_migrate.connect(register_after_migrate, dispatch_uid="layers.register_tables")
