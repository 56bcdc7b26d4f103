from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户 Accounts"

    def ready(self) -> None:
        from . import checks, schema, signals  # noqa: F401  (register the deploy check, token scheme, login audit)
