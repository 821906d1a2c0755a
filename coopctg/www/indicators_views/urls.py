from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("importer/", views.import_page, name="import"),
    path("collectivite/<int:pk>/", views.fiche, name="fiche"),
    path("collectivite/<int:pk>/fiche.xlsx", views.fiche_xlsx, name="fiche_xlsx"),
    path("collectivite/<int:pk>/fiche.pdf", views.fiche_pdf, name="fiche_pdf"),
    path("collectivite/<int:pk>/indicateur-local/", views.local_create, name="local_create"),
    path("indicateur-local/<int:pk>/", views.local_edit, name="local_edit"),
    path("indicateur-local/<int:pk>/valeur/", views.local_value, name="local_value"),
]
