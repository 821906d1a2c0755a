from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "coopctg.territories"
    verbose_name = "territoires"
