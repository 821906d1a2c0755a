from django.apps import AppConfig


class CtgConfig(AppConfig):
    name = "coopctg.ctg"
    verbose_name = "Ctg"
