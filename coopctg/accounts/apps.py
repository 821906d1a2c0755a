from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coopctg.accounts"
    verbose_name = "comptes"
