from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.cof_list, name="list"),
    path("nouvelle/<int:architecture_pk>/", views.cof_create, name="create"),
    path("<int:pk>/", views.cof_detail, name="detail"),
    path("<int:pk>/comparer/", views.cof_diff, name="diff"),
    path("<int:pk>/historique/", views.cof_history, name="history"),
    path("<int:pk>/demandes/nouvelle/", views.request_create, name="request_create"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/document.pdf", views.version_pdf, name="version_pdf"),
    path("versions/<int:pk>/signature/", views.version_signature, name="version_signature"),
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("demandes/<int:pk>/modifier/", views.request_edit, name="request_edit"),
    path("demandes/<int:pk>/soumettre/", views.request_submit, name="request_submit"),
    path("demandes/<int:pk>/commenter/", views.request_comment, name="request_comment"),
    path("demandes/<int:pk>/a-modifier/", views.request_changes, name="request_changes"),
    path("demandes/<int:pk>/decider/", views.request_decide, name="request_decide"),
]
