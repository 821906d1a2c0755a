from django.urls import path

from . import views

app_name = "recruitment"

urlpatterns = [
    path("", views.recruitment_list, name="list"),
    path("nouveau/", views.recruitment_create, name="create"),
    path("<int:pk>/", views.recruitment_detail, name="detail"),
    path("<int:pk>/modifier/", views.recruitment_edit, name="edit"),
    path("<int:pk>/fiche-de-poste.pdf", views.job_pdf, name="job_pdf"),
    # POST only
    path("<int:pk>/etape/suivante/", views.advance, name="advance"),
    path("<int:pk>/etape/precedente/", views.step_back, name="step_back"),
    path("<int:pk>/inviter-caf/", views.invite_caf, name="invite_caf"),
    path("<int:pk>/avis-caf/", views.give_opinion, name="opinion"),
    path("<int:pk>/decision/", views.decide, name="decide"),
]
