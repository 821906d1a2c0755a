"""Sign-in through OpenID Connect against a REAL provider (django-oidc-provider, served by
gunicorn on 127.0.0.1 by :mod:`tests.oidc_provider.server`), not a mock.

The person's browser is two clients: Django's test client for CoopCTG (http://testserver)
and a ``requests`` session for the provider; the redirects between them are followed by
hand. CoopCTG's back-channel calls (token, userinfo, JWKS) go to the provider over HTTP.
"""

import datetime as dt
import hashlib
import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts import oidc
from coopctg.accounts.models import FederatedIdentity, Invitation, LoginSession, Membership, User
from coopctg.accounts.roles import Role
from tests.oidc_provider import bootstrap, claims
from tests.oidc_provider.server import running_provider

pytestmark = pytest.mark.django_db

COOPCTG = "http://testserver"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("fournisseur_oidc")) as running:
        yield running


@pytest.fixture
def oidc_on(settings, provider):
    """CoopCTG configured for the provider, its endpoints read by discovery."""
    found = oidc.discover(provider.issuer)
    settings.COOPCTG_OIDC_ENABLED = True
    settings.COOPCTG_OIDC_PROVIDER_NAME = "ProConnect"
    settings.OIDC_RP_CLIENT_ID = bootstrap.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = bootstrap.CLIENT_SECRET
    settings.COOPCTG_OIDC_ISSUER = found["COOPCTG_OIDC_ISSUER"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = found["COOPCTG_OIDC_AUTHORIZATION_ENDPOINT"]
    settings.OIDC_OP_TOKEN_ENDPOINT = found["COOPCTG_OIDC_TOKEN_ENDPOINT"]
    settings.OIDC_OP_USER_ENDPOINT = found["COOPCTG_OIDC_USERINFO_ENDPOINT"]
    settings.OIDC_OP_JWKS_ENDPOINT = found["COOPCTG_OIDC_JWKS_ENDPOINT"]
    settings.COOPCTG_OIDC_END_SESSION_ENDPOINT = found["COOPCTG_OIDC_END_SESSION_ENDPOINT"]
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "coopctg.accounts.oidc.OIDCBackend",
    ]
    return provider


class Browser:
    """One person's browser, on CoopCTG (Django's test client) and at the provider."""

    def __init__(self, client, provider):
        self.client = client
        self.provider = provider
        self.at_provider = requests.Session()

    def close(self):
        self.at_provider.close()

    def start_sign_in(self) -> str:
        """Clicks « Se connecter avec ProConnect »: the authorization URL."""
        response = self.client.get(reverse("oidc_authentication_init"))
        assert response.status_code == 302
        return response["Location"]

    def follow_at_provider(self, response: requests.Response) -> requests.Response | str:
        """Follows the provider's redirects; the URL when one leads back to CoopCTG."""
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(COOPCTG):
                return location
            response = self.at_provider.get(location, allow_redirects=False, timeout=10)
        return response

    def authorize(self, authorization_url: str, username: str) -> str:
        """At the provider: signs in with its login form; the callback URL to CoopCTG."""
        page = self.follow_at_provider(
            self.at_provider.get(authorization_url, allow_redirects=False, timeout=10)
        )
        if isinstance(page, str):  # already signed in at the provider
            return page
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        next_url = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
        answer = self.at_provider.post(
            page.url,
            data={
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": bootstrap.PASSWORD,
                "next": next_url.replace("&amp;", "&"),
            },
            allow_redirects=False,
            timeout=10,
        )
        callback = self.follow_at_provider(answer)
        assert isinstance(callback, str), "pas de retour vers CoopCTG"
        return callback

    def back_to_coopctg(self, url: str):
        return self.client.get(url.removeprefix(COOPCTG))

    def sign_in(self, username: str):
        return self.back_to_coopctg(self.authorize(self.start_sign_in(), username))


@pytest.fixture
def browser(client, oidc_on):
    person = Browser(client, oidc_on)
    yield person
    person.close()


def text(response) -> str:
    return html.unescape(response.content.decode())


def signed_in_user(client):
    response = client.get(reverse("home"))
    return response.wsgi_request.user if response.status_code == 200 else None


def sub_of(username: str) -> str:
    return f"sub-{username}"


def make_invitation(touraine, courriel: str, *, expire_le=None) -> Invitation:
    return Invitation.objects.create(
        courriel=courriel,
        role=Role.COLLECTIVITE_EDITOR.value,
        collectivite=touraine.own,
        empreinte=hashlib.sha256(courriel.encode()).hexdigest(),
        cree_par=touraine.admin,
        expire_le=expire_le or timezone.now() + dt.timedelta(days=7),
    )


def test_discovery_of_the_provider(oidc_on):
    found = oidc.discover(oidc_on.issuer)
    assert found["COOPCTG_OIDC_TOKEN_ENDPOINT"] == f"{oidc_on.issuer}/token"
    with pytest.raises(oidc.DiscoveryError, match="pas « "):
        oidc.discover(oidc_on.issuer + "/")


def test_discovery_command_prints_the_variables(oidc_on, capsys):
    call_command("oidc", "decouvrir", oidc_on.issuer)
    lines = capsys.readouterr().out.splitlines()
    assert f"export COOPCTG_OIDC_ISSUER={oidc_on.issuer}" in lines
    assert f"export COOPCTG_OIDC_JWKS_ENDPOINT={oidc_on.issuer}/jwks" in lines


def test_level_of_assurance_below_the_required_one_is_refused(
    browser, provider, touraine, settings
):
    settings.COOPCTG_OIDC_ACR_VALUES = ["eidas2", "eidas3"]  # the provider says eidas1
    FederatedIdentity.objects.create(
        user=touraine.editor,
        fournisseur=provider.issuer,
        sujet=sub_of("lie@caf37.fr"),
        courriel="lie@caf37.fr",
    )
    response = browser.sign_in("lie@caf37.fr")
    assert response.status_code == 403
    assert "n'atteint pas le niveau de sécurité" in text(response)
    assert signed_in_user(browser.client) is None


def test_linked_person_signs_in_with_pkce_state_nonce(browser, provider, touraine):
    identity = FederatedIdentity.objects.create(
        user=touraine.editor,
        fournisseur=provider.issuer,
        sujet=sub_of("lie@caf37.fr"),
        courriel="lie@caf37.fr",
    )
    authorization_url = browser.start_sign_in()
    query = parse_qs(urlsplit(authorization_url).query)
    assert authorization_url.startswith(f"{provider.issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["scope"] == ["openid email given_name usual_name siret"]
    assert '"amr": {"essential": true}' in query["claims"][0]

    response = browser.back_to_coopctg(browser.authorize(authorization_url, "lie@caf37.fr"))

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in_user(browser.client) == touraine.editor
    identity.refresh_from_db()
    assert identity.derniere_connexion_le is not None
    assert identity.dernier_acr == claims.ACR
    assert identity.dernier_amr == claims.AMR
    assert browser.client.session[oidc.ID_TOKEN_SESSION_KEY]
    assert LoginSession.objects.get(user=touraine.editor).methode == LoginSession.Method.OIDC
    assert not AccessAttempt.objects.exists()


def test_invited_person_gets_the_account_and_role(browser, provider, touraine):
    invitation = make_invitation(touraine, "Invitee@gatine.fr")
    users = User.objects.count()

    response = browser.sign_in("invitee@gatine.fr")

    assert response.status_code == 302
    user = User.objects.get(email__iexact="invitee@gatine.fr")
    assert User.objects.count() == users + 1
    assert signed_in_user(browser.client) == user
    assert (user.first_name, user.last_name) == ("Inès", "Invitée")
    assert not user.has_usable_password()
    assert Membership.objects.filter(
        user=user, role=Role.COLLECTIVITE_EDITOR.value, collectivite=touraine.own
    ).exists()
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.fournisseur, identity.sujet) == (provider.issuer, sub_of("invitee@gatine.fr"))
    assert identity.dernier_acr == claims.ACR and identity.derniere_connexion_le is not None
    invitation.refresh_from_db()
    assert invitation.acceptee_par == user


def test_unknown_identity_is_refused_without_an_account(browser, touraine):
    users = User.objects.count()

    response = browser.sign_in("inconnue@exemple.fr")

    assert response.status_code == 403
    assert "Votre identité n'est liée à aucun compte CoopCTG" in text(response)
    assert User.objects.count() == users
    assert not FederatedIdentity.objects.exists()
    assert signed_in_user(browser.client) is None
    assert not AccessAttempt.objects.exists()  # not counted as a password attempt


def test_expired_invitation_is_refused_with_its_message(browser, touraine):
    make_invitation(touraine, "expiree@gatine.fr", expire_le=timezone.now() - dt.timedelta(days=1))
    users = User.objects.count()

    response = browser.sign_in("expiree@gatine.fr")

    assert response.status_code == 403
    page = text(response)
    assert "Votre invitation à CoopCTG a expiré le" in page
    assert "demandez-en une nouvelle" in page
    assert User.objects.count() == users
    assert signed_in_user(browser.client) is None


def test_logout_ends_the_session_at_the_provider_too(browser, provider, touraine):
    FederatedIdentity.objects.create(
        user=touraine.editor,
        fournisseur=provider.issuer,
        sujet=sub_of("lie@caf37.fr"),
        courriel="lie@caf37.fr",
    )
    browser.sign_in("lie@caf37.fr")
    id_token = browser.client.session[oidc.ID_TOKEN_SESSION_KEY]

    response = browser.client.post(reverse("logout"))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.issuer}/end-session?")
    query = parse_qs(urlsplit(location).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [bootstrap.POST_LOGOUT_REDIRECT_URI]
    assert len(query["state"][0]) >= 32
    assert signed_in_user(browser.client) is None

    back = browser.follow_at_provider(
        browser.at_provider.get(location, allow_redirects=False, timeout=10)
    )
    assert isinstance(back, str) and back.startswith(bootstrap.POST_LOGOUT_REDIRECT_URI)
    assert parse_qs(urlsplit(back).query)["state"] == query["state"]
    landing = browser.back_to_coopctg(back)
    assert landing.status_code == 302 and landing["Location"] == reverse("login")
    page = text(browser.client.get(landing["Location"]))
    assert "Vous êtes déconnecté·e de CoopCTG et de ProConnect." in page
    # The provider's session has ended too: signing in again asks for the password.
    again = browser.at_provider.get(browser.start_sign_in(), allow_redirects=False, timeout=10)
    assert again.is_redirect and "/connexion/" in again.headers["Location"]


@pytest.mark.parametrize("secret", ["code_verifier", "nonce"])
def test_tampered_pkce_verifier_or_nonce_is_refused(browser, provider, touraine, secret):
    FederatedIdentity.objects.create(
        user=touraine.editor,
        fournisseur=provider.issuer,
        sujet=sub_of("lie@caf37.fr"),
        courriel="lie@caf37.fr",
    )
    callback = browser.authorize(browser.start_sign_in(), "lie@caf37.fr")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    session = browser.client.session
    session["oidc_states"][state][secret] = "x" * 64
    session.save()

    response = browser.back_to_coopctg(callback)

    # code_verifier: the provider's token endpoint refuses the code; nonce: CoopCTG refuses
    # the ID token.
    assert response.status_code == 403
    assert "La connexion avec ProConnect n'a pas abouti" in text(response)
    assert signed_in_user(browser.client) is None


def test_state_mismatch_is_refused(browser, provider, touraine):
    FederatedIdentity.objects.create(
        user=touraine.editor,
        fournisseur=provider.issuer,
        sujet=sub_of("lie@caf37.fr"),
        courriel="lie@caf37.fr",
    )
    callback = browser.authorize(browser.start_sign_in(), "lie@caf37.fr")
    state = parse_qs(urlsplit(callback).query)["state"][0]

    response = browser.back_to_coopctg(callback.replace(state, "a" * 32))

    assert response.status_code == 400
    assert "ne correspond à aucune connexion commencée" in text(response)
    assert signed_in_user(browser.client) is None
