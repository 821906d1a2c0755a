from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("lues/", views.mark_all_read, name="read"),
    path("<int:pk>/", views.notification_open, name="open"),
]
