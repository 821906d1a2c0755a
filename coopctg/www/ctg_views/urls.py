from django.urls import path

from . import views

app_name = "ctg"

urlpatterns = [
    path("", views.ctg_list, name="list"),
    path("nouvelle/", views.ctg_create, name="create"),
    path("<int:pk>/", views.ctg_detail, name="detail"),
    path("<int:pk>/modifier/", views.ctg_edit, name="edit"),
    path("<int:pk>/historique/", views.ctg_history, name="history"),
]
