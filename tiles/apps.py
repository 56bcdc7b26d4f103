from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = "矢量瓦片 Vector tiles"

    def ready(self) -> None:
        from .cache import install_after_migrate

        post_migrate.connect(install_after_migrate, dispatch_uid="tiles.install_triggers")
