from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户 Accounts"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production check on demo accounts)
