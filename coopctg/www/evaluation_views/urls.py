from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("ctg/<int:ctg_pk>/", views.ctg_evaluation, name="ctg"),
    path("ctg/<int:ctg_pk>/evaluation.pdf", views.ctg_evaluation_pdf, name="pdf"),
]
