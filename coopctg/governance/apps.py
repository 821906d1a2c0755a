from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "coopctg.governance"
    verbose_name = "instances et faits marquants"
