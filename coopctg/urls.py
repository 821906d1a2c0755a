from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from coopctg.api.api import api_urls
from coopctg.www.health_views import views as health
from coopctg.www.home_views import views as home
from coopctg.www.login_views import views as login_views

urlpatterns = [
    path("", home.home, name="home"),
    path("connexion/", login_not_required(login_views.LoginView.as_view()), name="login"),
    path("deconnexion/", login_views.LogoutView.as_view(), name="logout"),
    # OpenID Connect (ProConnect): authenticate/, callback/, logout/ of mozilla-django-oidc.
    path("oidc/deconnecte/", login_views.oidc_logged_out, name="oidc_logged_out"),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("donnees-personnelles/", home.privacy, name="privacy"),
    path("sante/", health.health, name="health"),  # the load balancer's check, no sign-in
    path("", include("coopctg.www.accounts_views.urls")),
    path("territoires/", include("coopctg.www.territories_views.urls")),
    path("referentiel/", include("coopctg.www.framework_views.urls")),
    path("", include("coopctg.www.organisations_views.urls")),
    path("ctg/", include("coopctg.www.ctg_views.urls")),
    path("financement/", include("coopctg.www.funding_views.urls")),
    path("cof/", include("coopctg.www.agreements_views.urls")),
    path("budget/", include("coopctg.www.budget_views.urls")),
    path("versements/", include("coopctg.www.payments_views.urls")),
    path("recrutements/", include("coopctg.www.recruitment_views.urls")),
    path("notifications/", include("coopctg.www.notifications_views.urls")),
    path("jetons-api/", include("coopctg.www.api_tokens_views.urls")),
    path("api/v1/", api_urls()),
    path("plan-actions/", include("coopctg.www.actionplan_views.urls")),
    path("instances/", include("coopctg.www.governance_views.urls")),
    path("evaluation/", include("coopctg.www.evaluation_views.urls")),
    path("bilans/", include("coopctg.www.reports_views.urls")),
    path("diagnostic/", include("coopctg.www.diagnostic_views.urls")),
    path("participation/", include("coopctg.www.participation_views.urls")),
    path("", include("coopctg.www.participation_views.public_urls")),  # sans compte
    path("partenaires/", include("coopctg.www.partners_views.urls")),
    path("tableau-de-bord/", include("coopctg.www.dashboard_views.urls")),
    path("national/", include("coopctg.www.national_views.urls")),
    path("indicateurs/", include("coopctg.www.indicators_views.urls")),
    path("echeances/", include("coopctg.www.dashboard_views.deadline_urls")),
]

handler404 = "coopctg.www.home_views.views.page_not_found"
handler500 = "coopctg.www.home_views.views.server_error"
