from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("collectivites/", views.collectivite_list, name="collectivites"),
    path("collectivites/<int:pk>/", views.collectivite_detail, name="collectivite"),
    path("caf/<str:code>/equipe/", views.team, name="team"),
    # « Suivi des collectivités »: the Caf's administrators decide who follows what.
    path("caf/<str:code>/equipe/suivis/", views.follow_ups, name="follow_ups"),
    path(
        "caf/<str:code>/equipe/suivis/collectivites/<int:pk>/ajouter/",
        views.follow_up_add,
        name="follow_up_add",
    ),
    path(
        "caf/<str:code>/equipe/suivis/<int:pk>/retirer/",
        views.follow_up_remove,
        name="follow_up_remove",
    ),
]
