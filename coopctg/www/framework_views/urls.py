from django.urls import path

from . import views

app_name = "framework"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.version_detail, name="version"),
]
