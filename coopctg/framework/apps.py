from django.apps import AppConfig


class FrameworkConfig(AppConfig):
    name = "coopctg.framework"
    verbose_name = "référentiel"
