from django.urls import path

from . import views

app_name = "participation"

urlpatterns = [
    path("ctg/<int:ctg_pk>/", views.ctg_overview, name="ctg"),
    path(
        "ctg/<int:ctg_pk>/consultations/nouvelle/",
        views.consultation_create,
        name="consultation_create",
    ),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
    path("consultations/<int:pk>/modifier/", views.consultation_edit, name="consultation_edit"),
    path("consultations/<int:pk>/participants/", views.participants, name="participants"),
    path(
        "consultations/<int:pk>/questionnaire/nouveau/",
        views.questionnaire_create,
        name="questionnaire_create",
    ),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire"),
    path("questionnaires/<int:pk>/modifier/", views.questionnaire_edit, name="questionnaire_edit"),
    path("questionnaires/<int:pk>/publier/", views.questionnaire_publish, name="publish"),
    path("questionnaires/<int:pk>/clore/", views.questionnaire_close, name="close"),
    path("questionnaires/<int:pk>/resultats/", views.results, name="results"),
    path("questionnaires/<int:pk>/resultats.xlsx", views.results_xlsx, name="results_xlsx"),
    path("questionnaires/<int:pk>/importer/", views.answers_import, name="answers_import"),
    path("questions/<int:pk>/supprimer/", views.question_delete, name="question_delete"),
    path("ctg/<int:ctg_pk>/supports/", views.supports, name="supports"),
    path("ctg/<int:ctg_pk>/supports/nouveau/", views.support_create, name="support_create"),
    path("supports/<int:pk>/modifier/", views.support_edit, name="support_edit"),
    path("ctg/<int:ctg_pk>/veille/", views.watch_notes, name="watch"),
    path("ctg/<int:ctg_pk>/veille/nouvelle/", views.watch_create, name="watch_create"),
    path("veille/<int:pk>/modifier/", views.watch_edit, name="watch_edit"),
    path("ctg/<int:ctg_pk>/page-publique/", views.public_page_settings, name="public_settings"),
]
