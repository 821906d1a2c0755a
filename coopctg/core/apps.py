from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coopctg.core"
    verbose_name = "socle"

    def ready(self) -> None:
        from coopctg.core import versions

        versions.connect()  # every write draws a new version of its Caf's data
