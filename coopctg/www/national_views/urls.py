from django.urls import path

from . import views

app_name = "national"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:annee>/", views.annual, name="annual"),
    path("<int:annee>/budget/", views.budget, name="budget"),
    path("<int:annee>/vue-nationale.xlsx", views.annual_xlsx, name="annual_xlsx"),
]
