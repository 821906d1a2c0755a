from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "coopctg.reports"
    verbose_name = "bilans annuels, versements et évaluation"
