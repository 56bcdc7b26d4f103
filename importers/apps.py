from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "importers"
    verbose_name = "导入 Imports"

    def ready(self) -> None:
        from . import layers  # noqa: F401  (registers the QA layer once)
