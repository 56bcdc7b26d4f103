from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计 Audit"

    def ready(self) -> None:
        from .grants import grant_after_migrate
        from .triggers import install_after_migrate

        post_migrate.connect(install_after_migrate, dispatch_uid="audit.install_triggers")
        post_migrate.connect(grant_after_migrate, dispatch_uid="audit.grant_app")
