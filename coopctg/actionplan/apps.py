from django.apps import AppConfig


class ActionplanConfig(AppConfig):
    name = "coopctg.actionplan"
    verbose_name = "plan d'actions"
