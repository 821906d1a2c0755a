from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "coopctg.participation"
    verbose_name = "concertation, supports d'information, veille et page publique"
