from django.urls import path

from . import views

app_name = "actionplan"

urlpatterns = [
    path("ctg/<int:ctg_pk>/", views.plan, name="plan"),
    path("ctg/<int:ctg_pk>/nouvelle/", views.action_create, name="action_create"),
    path("ctg/<int:ctg_pk>/valeurs/<int:year>/", views.indicator_values, name="indicator_values"),
    path("ctg/<int:ctg_pk>/export.xlsx", views.export, name="export"),
    path("ctg/<int:ctg_pk>/import/", views.import_plan, name="import"),
    path("<int:pk>/", views.action_detail, name="action"),
    path("<int:pk>/modifier/", views.action_edit, name="action_edit"),
    path("<int:pk>/supprimer/", views.action_delete, name="action_delete"),
]
