"""Signing in and out: password form, OpenID Connect (ProConnect) and the logout at the provider.

The OpenID Connect views are mozilla-django-oidc's, named in the settings
(``OIDC_AUTHENTICATE_CLASS``, ``OIDC_CALLBACK_CLASS``): they answer 404 while OpenID Connect
is off, are open to anonymous visitors, and a refused sign-in gets a French page saying why
(:data:`coopctg.accounts.oidc.MESSAGES`) instead of the library's bare redirect.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from coopctg.accounts import oidc

logger = logging.getLogger(__name__)


def sign_in_options() -> dict[str, Any]:
    """What the sign-in pages offer (the login page, the invitation page)."""
    return {
        "oidc_enabled": oidc.enabled(),
        "oidc_provider_name": oidc.provider_name(),
        "password_login": settings.COOPCTG_PASSWORD_LOGIN,
    }


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("password_refused", False)
        return {**super().get_context_data(**kwargs), **sign_in_options()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.COOPCTG_PASSWORD_LOGIN:
            # No backend checks passwords either (settings): this only says so.
            context = self.get_context_data(password_refused=True)
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """Django's logout; a session opened through OpenID Connect then goes on to the
    provider's logout, which comes back to :func:`oidc_logged_out`."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider_url = oidc.provider_logout_url(request)  # before the session is emptied
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_url) if provider_url else response


@login_not_required
@require_GET
def oidc_logged_out(request: HttpRequest) -> HttpResponse:
    """The ``post_logout_redirect_uri``: back from the provider's logout."""
    if oidc.check_logout_state(request.GET.get("state", "")):
        messages.info(request, f"Vous êtes déconnecté·e de CoopCTG et de {oidc.provider_name()}.")
    return redirect("login")


def refusal_page(request: HttpRequest, refusal: oidc.OIDCRefused, status: int) -> HttpResponse:
    return render(
        request,
        "accounts/oidc_refused.html",
        {"message": refusal.message, **sign_in_options()},
        status=status,
    )


@method_decorator(login_not_required, name="dispatch")
class OIDCAuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (``state``, ``nonce``, PKCE S256, ``claims``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: the library checks ``state`` and signs the person in through
    :class:`coopctg.accounts.oidc.OIDCBackend`; a refusal gets its French page (403)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        if "code" in request.GET and "oidc_states" not in request.session:
            # No sign-in started in this browser (or its session ended meanwhile).
            return refusal_page(request, oidc.OIDCRefused("etat"), status=400)
        try:
            return super().get(request)
        except SuspiciousOperation as error:  # a state this browser never sent, or replayed
            logger.warning("Retour OpenID Connect refusé : %s", error)
            return refusal_page(request, oidc.OIDCRefused("etat"), status=400)

    def login_failure(self) -> HttpResponse:
        return refusal_page(self.request, oidc.refusal_of(self.request), status=403)
