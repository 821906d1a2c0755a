from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "coopctg.partners"
    verbose_name = "partenaires et réseaux"
