from django.apps import AppConfig


class DiagnosticConfig(AppConfig):
    name = "coopctg.diagnostic"
    verbose_name = "diagnostic partagé, besoins des familles, commissions d'admission"
