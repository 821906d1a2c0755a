from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("caf/<str:code>/", views.directory, name="directory"),
    path("caf/<str:code>/export.<str:format>", views.export, name="export"),
    path("caf/<str:code>/nouveau/", views.partner_create, name="create"),
    path("caf/<str:code>/reseaux/nouveau/", views.network_create, name="network_create"),
    path("<int:pk>/", views.partner_detail, name="detail"),
    path("<int:pk>/modifier/", views.partner_edit, name="edit"),
    path("ctg/<int:ctg_pk>/", views.ctg_network, name="ctg"),
    path("ctg/<int:ctg_pk>/adhesion/", views.membership_create, name="membership_create"),
    path("adhesions/<int:pk>/modifier/", views.membership_edit, name="membership_edit"),
    path("reseaux/<int:pk>/modifier/", views.network_edit, name="network_edit"),
    path("action/<int:pk>/", views.action_partners, name="action"),
    path("instance/<int:pk>/", views.meeting_partners, name="meeting"),
    path("diagnostic/<int:pk>/", views.diagnostic_partners, name="diagnostic"),
]
