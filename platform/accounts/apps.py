from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户 Accounts"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (register the production check and the login audit)
