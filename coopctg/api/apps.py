from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "coopctg.api"
    label = "api"
    verbose_name = "API"
