from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("cof/<int:cof_pk>/<int:annee>/creer/", views.report_create, name="create"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/transmettre/", views.report_transmit, name="transmit"),
    path("<int:pk>/renvoyer/", views.report_send_back, name="send_back"),
    path("<int:pk>/valider/", views.report_validate, name="validate"),
    path("<int:pk>/bilan.pdf", views.report_pdf, name="pdf"),
]
