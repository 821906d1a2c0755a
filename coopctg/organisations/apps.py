from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "coopctg.organisations"
    verbose_name = "organisations"
