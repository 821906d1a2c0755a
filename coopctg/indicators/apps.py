from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "coopctg.indicators"
    verbose_name = "indicateurs du diagnostic"
