"""OpenID Connect sign-in without the provider: settings, login page, who an identity is.

The flows against a real provider are in test_oidc_flow.py.
"""

import datetime as dt
import hashlib
import html
import json
import runpy
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import SuspiciousOperation
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts import oidc
from coopctg.accounts.invitations import IdentityClaims
from coopctg.accounts.models import FederatedIdentity, Invitation, Membership, User
from coopctg.accounts.roles import Role
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.oidc_provider.server import free_port

SETTINGS_FILE = Path(oidc.__file__).resolve().parents[1] / "settings.py"
ISSUER = "https://fournisseur.example/api/v2"
PROVIDER_ENV = {
    "COOPCTG_OIDC_CLIENT_ID": "client-coopctg",
    "COOPCTG_OIDC_CLIENT_SECRET": "secret",
    "COOPCTG_OIDC_ISSUER": ISSUER,
    "COOPCTG_OIDC_AUTHORIZATION_ENDPOINT": f"{ISSUER}/authorize",
    "COOPCTG_OIDC_TOKEN_ENDPOINT": f"{ISSUER}/token",
    "COOPCTG_OIDC_USERINFO_ENDPOINT": f"{ISSUER}/userinfo",
    "COOPCTG_OIDC_JWKS_ENDPOINT": f"{ISSUER}/jwks",
    "COOPCTG_OIDC_END_SESSION_ENDPOINT": f"{ISSUER}/session/end",
}


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- Settings from the environment --------------------------------------------------------


def load_settings(monkeypatch, **env):
    for name in [*PROVIDER_ENV, "COOPCTG_PASSWORD_LOGIN", "COOPCTG_OIDC_ACR_VALUES"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_oidc_is_off_without_a_client_id(monkeypatch):
    values = load_settings(monkeypatch, COOPCTG_PASSWORD_LOGIN="0")
    assert values["COOPCTG_OIDC_ENABLED"] is False
    assert values["COOPCTG_PASSWORD_LOGIN"] is True  # nobody could sign in otherwise
    assert "coopctg.accounts.oidc.OIDCBackend" not in values["AUTHENTICATION_BACKENDS"]


def test_oidc_needs_every_endpoint(monkeypatch):
    with pytest.raises(RuntimeError, match="COOPCTG_OIDC_TOKEN_ENDPOINT"):
        load_settings(
            monkeypatch,
            **{k: v for k, v in PROVIDER_ENV.items() if k != "COOPCTG_OIDC_TOKEN_ENDPOINT"},
        )


def test_oidc_settings_from_the_environment(monkeypatch):
    values = load_settings(monkeypatch, **PROVIDER_ENV)
    assert values["COOPCTG_OIDC_ENABLED"] is True
    assert values["AUTHENTICATION_BACKENDS"] == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "coopctg.accounts.oidc.OIDCBackend",
    ]
    assert values["COOPCTG_PASSWORD_LOGIN"] is True
    assert values["OIDC_OP_USER_ENDPOINT"] == f"{ISSUER}/userinfo"
    assert values["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert values["OIDC_USE_PKCE"] and values["OIDC_USE_NONCE"]
    assert values["OIDC_CREATE_USER"] is False
    assert json.loads(values["OIDC_AUTH_REQUEST_EXTRA_PARAMS"]["claims"]) == {
        "id_token": {"acr": None, "amr": {"essential": True}}
    }
    # The logout form's redirect to the provider is allowed by the Content-Security-Policy.
    assert "https://fournisseur.example" in values["SECURE_CSP"]["form-action"]


def test_required_acr_values_and_password_login_closed(monkeypatch):
    values = load_settings(
        monkeypatch,
        **PROVIDER_ENV,
        COOPCTG_OIDC_ACR_VALUES="eidas2, eidas3",
        COOPCTG_PASSWORD_LOGIN="0",
    )
    assert json.loads(values["OIDC_AUTH_REQUEST_EXTRA_PARAMS"]["claims"])["id_token"]["acr"] == {
        "essential": True,
        "values": ["eidas2", "eidas3"],
    }
    assert values["COOPCTG_PASSWORD_LOGIN"] is False
    assert "django.contrib.auth.backends.ModelBackend" not in values["AUTHENTICATION_BACKENDS"]


def test_discovery_command_error_is_one_french_line(capsys):
    nobody = f"http://127.0.0.1:{free_port()}/inexistant"  # nothing listens there
    with pytest.raises(SystemExit) as exit_:
        call_command("oidc", "decouvrir", nobody)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"Erreur : {nobody}/.well-known/openid-configuration ne répond pas "
        "(connexion impossible ou trop lente)\n"
    )


# --- The login page -----------------------------------------------------------------------


@pytest.fixture
def oidc_on(settings):
    settings.COOPCTG_OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "client-coopctg"
    settings.COOPCTG_OIDC_ISSUER = ISSUER
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize"
    settings.COOPCTG_OIDC_END_SESSION_ENDPOINT = f"{ISSUER}/session/end"
    return settings


def test_login_page_without_oidc(client):
    page = text(client.get(reverse("login")))
    assert "Se connecter avec" not in page
    assert 'name="password"' in page


def test_login_page_offers_proconnect_and_password(client, oidc_on):
    page = text(client.get(reverse("login"), {"next": "/ctg/?annee=2025&x=1"}))
    assert 'href="/oidc/authenticate/?next=/ctg/%3Fannee%3D2025%26x%3D1"' in page
    assert "Se connecter avec ProConnect" in page
    assert "Qu'est-ce que ProConnect ?" in page
    assert 'name="password"' in page


def test_login_page_names_a_caf_provider(client, oidc_on):
    oidc_on.COOPCTG_OIDC_PROVIDER_NAME = "Annuaire de la Caf"
    page = text(client.get(reverse("login")))
    assert "Se connecter avec Annuaire de la Caf" in page
    assert "Qu'est-ce que ProConnect" not in page


def test_password_login_closed(client, db, oidc_on):
    oidc_on.COOPCTG_PASSWORD_LOGIN = False
    oidc_on.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "coopctg.accounts.oidc.OIDCBackend",
    ]
    user = UserFactory(username="agent")
    page = text(client.get(reverse("login")))
    assert 'name="password"' not in page
    assert "Se connecter avec ProConnect" in page
    response = client.post(reverse("login"), {"username": "agent", "password": DEMO_PASSWORD})
    assert response.status_code == 403
    assert "La connexion par mot de passe n'est pas ouverte" in text(response)
    assert client.get(reverse("home")).status_code == 302
    # No backend checks passwords any more.
    request = RequestFactory().post(reverse("login"))
    assert authenticate(request, username=user.username, password=DEMO_PASSWORD) is None


def test_provider_refusal_or_cancel_gets_a_french_page(client, db, oidc_on):
    session = client.session
    session["oidc_states"] = {"s" * 32: {"nonce": "n" * 32, "code_verifier": None}}
    session.save()
    response = client.get(
        reverse("oidc_authentication_callback"), {"error": "access_denied", "state": "s" * 32}
    )
    assert response.status_code == 403
    assert "La connexion avec ProConnect a été annulée ou refusée" in text(response)


# --- Logout at the provider ---------------------------------------------------------------


def test_password_session_logs_out_here_only(client, touraine, oidc_on):
    client.force_login(touraine.elu)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


def test_logout_state_is_signed():
    request = RequestFactory().get("/")
    request.session = {oidc.ID_TOKEN_SESSION_KEY: "jeton"}
    assert oidc.provider_logout_url(request) is None  # OpenID Connect is off
    assert not oidc.check_logout_state("a" * 40)


def test_logout_url_for_an_oidc_session(oidc_on):
    request = RequestFactory().get("/")
    request.session = {oidc.ID_TOKEN_SESSION_KEY: "jeton"}
    url = oidc.provider_logout_url(request)
    assert url.startswith(f"{ISSUER}/session/end?id_token_hint=jeton&state=")
    state = url.split("state=")[1].split("&")[0]
    assert oidc.check_logout_state(state.replace("%3A", ":"))


# --- The ID token -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"iss": "https://autre.example"}, "Émetteur"),
        ({"aud": "autre-client"}, "Audience"),
        ({"aud": ["autre-client"]}, "Audience"),
        ({"sub": ""}, "sub"),
    ],
)
def test_id_token_from_another_issuer_or_client_is_refused(oidc_on, changes, error):
    payload = {"iss": ISSUER, "aud": "client-coopctg", "sub": "abc", **changes}
    with pytest.raises(SuspiciousOperation, match=error):
        oidc.OIDCBackend().check_id_token(payload)


def test_id_token_for_this_client_among_others(oidc_on):
    oidc.OIDCBackend().check_id_token(
        {"iss": ISSUER, "aud": ["autre", "client-coopctg"], "sub": "abc"}
    )


# --- Who is it? ---------------------------------------------------------------------------


def claims_of(email: str, sub: str = "sub-1") -> IdentityClaims:
    return IdentityClaims(issuer=ISSUER, sub=sub, email=email, acr="eidas1", amr=("pwd",))


def invite(touraine, courriel: str, **fields) -> Invitation:
    return Invitation.objects.create(
        courriel=courriel,
        role=Role.COLLECTIVITE_ELU.value,
        collectivite=touraine.own,
        empreinte=hashlib.sha256(courriel.encode()).hexdigest(),
        expire_le=fields.pop("expire_le", timezone.now() + dt.timedelta(days=7)),
        **fields,
    )


def refusal(claims: IdentityClaims, **kwargs) -> oidc.OIDCRefused:
    with pytest.raises(oidc.OIDCRefused) as caught:
        oidc.resolve_identity(claims, **kwargs)
    return caught.value


def test_linked_identity_of_an_inactive_account_is_refused(touraine):
    FederatedIdentity.objects.create(
        user=touraine.elu, fournisseur=ISSUER, sujet="sub-1", courriel="elu@gatine.fr"
    )
    assert oidc.resolve_identity(claims_of("autre@gatine.fr")) == touraine.elu
    touraine.elu.is_active = False
    touraine.elu.save()
    assert refusal(claims_of("elu@gatine.fr")).reason == "desactive"


def test_account_with_the_verified_email_gets_the_identity_linked(touraine):
    touraine.elu.email = "Elu@Gatine.fr"
    touraine.elu.save()
    assert oidc.resolve_identity(claims_of("elu@gatine.fr")) == touraine.elu
    identity = FederatedIdentity.objects.get(user=touraine.elu)
    assert (identity.fournisseur, identity.sujet, identity.courriel) == (
        ISSUER,
        "sub-1",
        "elu@gatine.fr",
    )
    assert identity.dernier_amr == ["pwd"] and identity.derniere_connexion_le is not None


def test_unverified_email_is_never_linked(touraine):
    touraine.elu.email = "elu@gatine.fr"
    touraine.elu.save()
    invite(touraine, "elu@gatine.fr")
    found = refusal(claims_of("elu@gatine.fr"), email_verified=False)
    assert found.reason == "courriel"
    assert "n'a pas confirmé votre adresse" in found.message
    assert not FederatedIdentity.objects.exists()


def test_account_already_linked_to_another_identity_of_the_provider(touraine):
    touraine.elu.email = "elu@gatine.fr"
    touraine.elu.save()
    FederatedIdentity.objects.create(
        user=touraine.elu, fournisseur=ISSUER, sujet="ancien", courriel="elu@gatine.fr"
    )
    assert refusal(claims_of("elu@gatine.fr")).reason == "deja_liee"
    assert FederatedIdentity.objects.count() == 1


def test_inactive_or_ambiguous_accounts_are_refused(touraine):
    touraine.elu.email = "elu@gatine.fr"
    touraine.elu.is_active = False
    touraine.elu.save()
    assert refusal(claims_of("elu@gatine.fr")).reason == "desactive"
    for user in (touraine.editor, touraine.analyst):
        user.email = "partage@gatine.fr"
        user.save()
    assert refusal(claims_of("partage@gatine.fr")).reason == "inconnue"
    assert not FederatedIdentity.objects.exists()


def test_invitation_creates_the_account(touraine):
    invitation = invite(touraine, "Nouvelle@Gatine.fr")
    user = oidc.resolve_identity(
        claims_of("nouvelle@gatine.fr"), first_name="Nina", last_name="Nouvelle"
    )
    assert (user.email, user.first_name, user.last_name) == (
        "Nouvelle@Gatine.fr",
        "Nina",
        "Nouvelle",
    )
    assert Membership.objects.filter(user=user, role=Role.COLLECTIVITE_ELU.value).exists()
    assert FederatedIdentity.objects.get(user=user).derniere_connexion_le is not None
    invitation.refresh_from_db()
    assert invitation.acceptee_par == user


def test_cancelled_invitation_is_unknown_and_expired_one_says_so(touraine):
    invite(touraine, "annulee@gatine.fr", annulee_le=timezone.now())
    users = User.objects.count()
    found = refusal(claims_of("annulee@gatine.fr"))
    assert found.reason == "inconnue"
    assert found.message == (
        "Votre identité n'est liée à aucun compte CoopCTG : demandez une invitation à votre Caf."
    )
    invite(touraine, "expiree@gatine.fr", expire_le=timezone.now() - dt.timedelta(hours=1))
    found = refusal(claims_of("expiree@gatine.fr"))
    assert found.reason == "expiree" and "a expiré le" in found.message
    assert User.objects.count() == users


# --- The invitation page ------------------------------------------------------------------


def test_invitation_page_offers_the_provider(client, touraine, oidc_on):
    from coopctg.accounts.invitations import create_invitation

    _, secret = create_invitation(
        None, courriel="nouvelle@gatine.fr", role=Role.COLLECTIVITE_ELU, collectivite=touraine.own
    )
    url = reverse("accounts:accept", args=[secret])
    page = text(client.get(url))
    assert 'href="/oidc/authenticate/"' in page and "Se connecter avec ProConnect" in page
    assert 'name="password1"' in page

    oidc_on.COOPCTG_PASSWORD_LOGIN = False
    page = text(client.get(url))
    assert "Se connecter avec ProConnect" in page
    assert 'name="password1"' not in page
    users = User.objects.count()
    client.post(url, {"username": "nina", "password1": "x" * 20, "password2": "x" * 20})
    assert User.objects.count() == users
