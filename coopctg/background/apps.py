from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "coopctg.background"
    verbose_name = "documents préparés en arrière-plan"
