from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    # Public: the invitation link and the forgotten password.
    path("invitation/<str:secret>/", views.accept, name="accept"),
    path("mot-de-passe-oublie/", views.PasswordReset.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.PasswordResetDone.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views.PasswordResetComplete.as_view(),
        name="password_reset_complete",
    ),
    # « Mon compte »: everyone, about themselves.
    path("mon-compte/", views.me, name="me"),
    path("mon-compte/sessions/<int:pk>/deconnecter/", views.session_end, name="session_end"),
    path(
        "mon-compte/sessions/autres/deconnecter/",
        views.sessions_end_others,
        name="sessions_end_others",
    ),
    path("mon-compte/mot-de-passe/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "mon-compte/mot-de-passe/modifie/",
        views.PasswordChangeDone.as_view(),
        name="password_change_done",
    ),
    # « Comptes »: Caf administrators and collectivité administrators.
    path("comptes/", views.account_list, name="list"),
    path("comptes/inviter/", views.invite, name="invite"),
    path("comptes/<int:pk>/", views.person, name="person"),
    path("comptes/<int:pk>/roles/ajouter/", views.role_grant, name="role_grant"),
    path("comptes/<int:pk>/desactiver/", views.person_deactivate, name="deactivate"),
    path("comptes/<int:pk>/reactiver/", views.person_reactivate, name="reactivate"),
    path("comptes/roles/<int:pk>/modifier/", views.role_change, name="role_change"),
    path("comptes/roles/<int:pk>/retirer/", views.role_withdraw, name="role_withdraw"),
    path(
        "comptes/invitations/<int:pk>/renvoyer/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "comptes/invitations/<int:pk>/annuler/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
]
