from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("collectivite/<int:pk>/", views.collectivite, name="collectivite"),
    path("caf/<str:code>/", views.caf, name="caf"),
]
