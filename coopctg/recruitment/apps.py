from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "coopctg.recruitment"
    verbose_name = "recrutements"
