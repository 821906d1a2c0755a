from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "coopctg.agreements"
    verbose_name = "Cof et avenants"
