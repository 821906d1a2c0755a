from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coopctg.core"
    verbose_name = "socle"
