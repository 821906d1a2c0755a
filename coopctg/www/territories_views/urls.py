from django.urls import path

from . import views

app_name = "territories"

urlpatterns = [
    path("carte/", views.my_map, name="map"),
    path("departements/<str:code>/", views.departement_detail, name="departement"),
    path("departements/<str:code>/carte/", views.departement_map, name="departement_map"),
    path(
        "departements/<str:code>/epci.geojson",
        views.departement_geojson,
        name="departement_geojson",
    ),
    path("epci/<str:siren>/", views.epci_detail, name="epci"),
]
