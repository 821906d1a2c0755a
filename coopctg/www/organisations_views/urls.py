from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("collectivites/", views.collectivite_list, name="collectivites"),
    path("collectivites/<int:pk>/", views.collectivite_detail, name="collectivite"),
    path("caf/<str:code>/equipe/", views.team, name="team"),
]
