from django.urls import path

from . import views

app_name = "deadlines"

urlpatterns = [
    path("", views.deadlines, name="list"),
    path("echeances.ics", views.deadlines_calendar, name="calendar"),
]
