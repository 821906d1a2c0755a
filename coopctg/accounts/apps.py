from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coopctg.accounts"
    verbose_name = "comptes"

    def ready(self) -> None:
        from coopctg.accounts import sessions  # noqa: F401  (sign-in and sign-out records)
