from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "coopctg.notifications"
    verbose_name = "notifications"
