from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("simulateur/", views.simulator, name="simulator"),
    path(
        "ctg/<int:ctg_pk>/collectivite/<int:collectivite_pk>/",
        views.architecture_for_ctg,
        name="architecture_for_ctg",
    ),
    path("architectures/<int:pk>/", views.architecture_detail, name="architecture"),
    path("architectures/<int:pk>/modifier/", views.architecture_edit, name="architecture_edit"),
    path(
        "architectures/<int:pk>/declarations/",
        views.architecture_declarations,
        name="architecture_declarations",
    ),
    path(
        "architectures/<int:pk>/ventilation.xlsx", views.architecture_xlsx, name="architecture_xlsx"
    ),
    path(
        "architectures/<int:pk>/annexe-financiere.pdf",
        views.architecture_pdf,
        name="architecture_pdf",
    ),
]
