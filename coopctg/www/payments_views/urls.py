from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.schedule, name="index"),
    path("<int:annee>.xlsx", views.schedule_xlsx_view, name="xlsx"),
    path("<int:annee>.csv", views.schedule_csv_view, name="csv"),
]
