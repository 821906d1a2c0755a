from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "coopctg.funding"
    verbose_name = "financement"
