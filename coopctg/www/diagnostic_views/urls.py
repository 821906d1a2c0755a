from django.urls import path

from . import views

app_name = "diagnostic"

urlpatterns = [
    path("ctg/<int:ctg_pk>/", views.ctg_overview, name="ctg"),
    path("ctg/<int:ctg_pk>/nouvelle-version/", views.version_create, name="version_create"),
    path("<int:pk>/", views.version_detail, name="version"),
    path("<int:pk>/modifier/", views.version_edit, name="version_edit"),
    path("<int:pk>/valider/", views.version_validate, name="version_validate"),
    path("<int:pk>/diagnostic.pdf", views.version_pdf, name="version_pdf"),
    path("<int:pk>/enjeux/nouveau/", views.enjeu_create, name="enjeu_create"),
    path("enjeux/<int:pk>/modifier/", views.enjeu_edit, name="enjeu_edit"),
    path("ctg/<int:ctg_pk>/besoins/", views.needs, name="needs"),
    path("ctg/<int:ctg_pk>/besoins/nouveau/", views.need_create, name="need_create"),
    path("ctg/<int:ctg_pk>/besoins/registre.xlsx", views.needs_xlsx, name="needs_xlsx"),
    path("ctg/<int:ctg_pk>/besoins/import/", views.needs_import, name="needs_import"),
    path("besoins/<int:pk>/modifier/", views.need_edit, name="need_edit"),
    path("ctg/<int:ctg_pk>/commissions/", views.commissions, name="commissions"),
    path(
        "ctg/<int:ctg_pk>/commissions/nouvelle/", views.commission_create, name="commission_create"
    ),
    path("commissions/<int:pk>/", views.commission_detail, name="commission"),
    path("commissions/<int:pk>/modifier/", views.commission_edit, name="commission_edit"),
    path("commissions/<int:pk>/suivi/<str:critere>/", views.follow_up, name="follow_up"),
    path("ctg/<int:ctg_pk>/objectifs/", views.targets, name="targets"),
    path("ctg/<int:ctg_pk>/objectifs/nouveau/", views.target_create, name="target_create"),
    path("ctg/<int:ctg_pk>/objectifs/faits-marquants/", views.attributions, name="attributions"),
]
