from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("ctg/<int:ctg_pk>/", views.ctg_governance, name="ctg"),
    path("ctg/<int:ctg_pk>/nouvelle/", views.meeting_create, name="instance_create"),
    path("ctg/<int:ctg_pk>/calendrier.ics", views.ctg_calendar, name="ics"),
    path(
        "ctg/<int:ctg_pk>/faits-marquants/nouveau/",
        views.highlight_create,
        name="highlight_create",
    ),
    path("<int:pk>/", views.meeting_detail, name="instance"),
    path("<int:pk>/modifier/", views.meeting_edit, name="instance_edit"),
    path("<int:pk>/compte-rendu/", views.meeting_minutes, name="minutes"),
    path("faits-marquants/<int:pk>/modifier/", views.highlight_edit, name="highlight_edit"),
]
