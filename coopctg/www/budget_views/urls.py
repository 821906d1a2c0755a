from django.urls import path

from . import views

app_name = "budget"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:annee>/", views.annual, name="annual"),
    path("<int:annee>/budget.xlsx", views.annual_xlsx, name="annual_xlsx"),
]
