from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "coopctg.demo"
    verbose_name = "démonstration"
