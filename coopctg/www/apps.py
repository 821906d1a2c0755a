from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "coopctg.www"
    verbose_name = "interface"
