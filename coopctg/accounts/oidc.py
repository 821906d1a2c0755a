"""Sign-in through OpenID Connect (ProConnect, or a Caf's own identity provider).

mozilla-django-oidc runs the authorization code flow (``state``, ``nonce``, PKCE S256) and
checks the ID token's signature; :class:`OIDCBackend` then decides who the person is:

1. an identity already linked (issuer, ``sub``) signs its account in, if it is active; the
   last ``acr`` and ``amr`` of the ID token are kept;
2. otherwise the provider must vouch for the e-mail (``email_verified`` not false), and
   - an active account with that e-mail, without an identity of this provider, gets this one
     linked (see :func:`resolve_identity` for why the e-mail may be trusted);
   - else a valid invitation of that e-mail is accepted: the account is created, linked and
     given the invited role (:func:`coopctg.accounts.invitations.accept_invitation`);
3. anything else is refused, and no account is created: the callback page says why in French
   (:data:`MESSAGES`), without telling whether some account exists.
"""

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from coopctg.accounts.invitations import (
    AccountError,
    IdentityClaims,
    accept_invitation,
    pending_invitation_for_email,
)
from coopctg.accounts.models import FederatedIdentity, Invitation, User
from coopctg.core.formats import format_date

logger = logging.getLogger(__name__)

#: Why a sign-in was refused: the French sentence of the refusal page.
MESSAGES = {
    "inconnue": (
        "Votre identité n'est liée à aucun compte CoopCTG : demandez une invitation à votre Caf."
    ),
    "expiree": (
        "Votre invitation à CoopCTG a expiré le {date} : demandez-en une nouvelle à la personne "
        "qui vous a invité·e."
    ),
    "desactive": "Votre compte CoopCTG est désactivé : adressez-vous à votre Caf.",
    "courriel": (
        "{fournisseur} n'a pas confirmé votre adresse électronique : CoopCTG ne peut pas la "
        "relier à un compte. Demandez une invitation à votre Caf."
    ),
    "deja_liee": (
        "Votre compte CoopCTG est déjà lié à une autre identité {fournisseur} : connectez-vous "
        "avec celle-ci, ou adressez-vous à votre Caf."
    ),
    "niveau": (
        "Votre connexion à {fournisseur} n'atteint pas le niveau de sécurité que demande "
        "CoopCTG : reconnectez-vous avec une authentification plus forte (double facteur)."
    ),
    "annulee": "La connexion avec {fournisseur} a été annulée ou refusée : recommencez.",
    "etat": (
        "Cette réponse de {fournisseur} ne correspond à aucune connexion commencée dans ce "
        "navigateur (ou elle a déjà servi) : recommencez la connexion."
    ),
    "fournisseur": (
        "La connexion avec {fournisseur} n'a pas abouti : recommencez. Si le problème "
        "persiste, prévenez votre Caf."
    ),
}

#: Attribute of the callback request that carries the refusal to the page.
REFUSAL_ATTRIBUTE = "coopctg_oidc_refusal"
#: Session key of the ID token (mozilla-django-oidc, OIDC_STORE_ID_TOKEN).
ID_TOKEN_SESSION_KEY = "oidc_id_token"
LOGOUT_STATE_SALT = "coopctg.accounts.oidc.logout"
#: A logout ``state`` older than this is ignored on return from the provider.
LOGOUT_STATE_MAX_AGE = 3600


class OIDCRefused(Exception):
    """A refused sign-in; ``reason`` is a key of :data:`MESSAGES` (``message`` overrides)."""

    def __init__(self, reason: str, message: str = "", **details: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.custom_message = message
        self.details = details

    @property
    def message(self) -> str:
        if self.custom_message:
            return self.custom_message
        return MESSAGES[self.reason].format(fournisseur=provider_name(), **self.details)


def enabled() -> bool:
    return bool(getattr(settings, "COOPCTG_OIDC_ENABLED", False))


def provider_name() -> str:
    return getattr(settings, "COOPCTG_OIDC_PROVIDER_NAME", "") or "ProConnect"


def refusal_of(request: HttpRequest) -> OIDCRefused:
    """Why the sign-in of this callback request failed (a generic failure if not said)."""
    refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
    if refusal is not None:
        return refusal
    return OIDCRefused("annulee" if request.GET.get("error") else "fournisseur")


# --- Who is it? ---------------------------------------------------------------------------


def _record_sign_in(claims: IdentityClaims) -> None:
    FederatedIdentity.objects.filter(fournisseur=claims.issuer, sujet=claims.sub).update(
        derniere_connexion_le=timezone.now(),
        dernier_acr=claims.acr,
        dernier_amr=list(claims.amr),
    )


def resolve_identity(
    claims: IdentityClaims,
    *,
    email_verified: bool = True,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """The account of an identity the provider asserted, linked or created from an
    invitation when that is allowed; :class:`OIDCRefused` otherwise (nothing written)."""
    identity = (
        FederatedIdentity.objects.select_related("user")
        .filter(fournisseur=claims.issuer, sujet=claims.sub)
        .first()
    )
    if identity is not None:
        if not identity.user.is_active:
            raise OIDCRefused("desactive")
        _record_sign_in(claims)
        return identity.user

    email = claims.email.strip()
    if not email or not email_verified:
        raise OIDCRefused("courriel")

    accounts = list(User.objects.filter(email__iexact=email)[:2])
    if len(accounts) > 1:
        logger.warning("Connexion OpenID Connect : plusieurs comptes ont l'adresse %s", email)
        raise OIDCRefused("inconnue")
    if accounts:
        # The provider vouches for this e-mail, and so does CoopCTG for its account: the
        # address was the invited one (the person received the link there) or was entered by
        # the Caf's administration. Both sides name the same person, so the identity is
        # linked; never when the account already has an identity of this provider (another
        # sub would take it over).
        user = accounts[0]
        if not user.is_active:
            raise OIDCRefused("desactive")
        if FederatedIdentity.objects.filter(user=user, fournisseur=claims.issuer).exists():
            raise OIDCRefused("deja_liee")
        try:
            with transaction.atomic():
                FederatedIdentity.objects.create(
                    user=user,
                    fournisseur=claims.issuer,
                    sujet=claims.sub,
                    courriel=email,
                    derniere_connexion_le=timezone.now(),
                    dernier_acr=claims.acr,
                    dernier_amr=list(claims.amr),
                )
        except IntegrityError:  # the same identity linked by a simultaneous sign-in
            raise OIDCRefused("fournisseur") from None
        logger.info("Identité %s liée au compte %s (même adresse vérifiée)", claims.issuer, user)
        return user

    invitation = pending_invitation_for_email(email)
    if invitation is not None:
        try:
            user = accept_invitation(
                invitation, first_name=first_name, last_name=last_name, identity=claims
            )
        except AccountError as error:
            raise OIDCRefused("invitation", str(error)) from None
        _record_sign_in(claims)
        return user

    expired = (
        Invitation.objects.filter(
            courriel__iexact=email,
            acceptee_le__isnull=True,
            annulee_le__isnull=True,
            expire_le__lte=timezone.now(),
        )
        .order_by("-expire_le")
        .first()
    )
    if expired is not None:
        raise OIDCRefused("expiree", date=format_date(timezone.localdate(expired.expire_le)))
    raise OIDCRefused("inconnue")


def _is_false(value: Any) -> bool:
    """``email_verified`` false, also written as a string by some providers."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, deciding with :func:`resolve_identity`.

    The library verifies the ID token (signature with the provider's JWKS, ``nonce``) and
    calls :meth:`get_or_create_user` with its payload; the user info (e-mail, names) comes
    from the userinfo endpoint. A refusal is left on the request for the callback page.
    """

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        try:
            return super().authenticate(request, **kwargs)
        except (
            requests.RequestException,
            SuspiciousOperation,
            jwt.PyJWTError,
            KeyError,
            TypeError,
            ValueError,
        ) as error:
            # The token endpoint refused the code (PKCE, expiry), a token did not verify…
            logger.warning("Connexion OpenID Connect refusée : %r", error)
            return None

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def check_id_token(self, payload: dict[str, Any]) -> None:
        """The ID token must come from the configured issuer, for this client."""
        if payload.get("iss") != settings.COOPCTG_OIDC_ISSUER:
            raise SuspiciousOperation(f"Émetteur inattendu : {payload.get('iss')!r}")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation(f"Audience inattendue : {audience!r}")
        if not payload.get("sub"):
            raise SuspiciousOperation("Jeton d'identité sans sub")

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        self.check_id_token(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(userinfo) or userinfo["sub"] != payload["sub"]:
            raise SuspiciousOperation("Les informations de l'utilisateur ne sont pas les siennes")
        amr = payload.get("amr") or ()
        claims = IdentityClaims(
            issuer=payload["iss"],
            sub=str(payload["sub"]),
            email=str(userinfo.get("email") or ""),
            acr=str(payload.get("acr") or ""),
            amr=(amr,) if isinstance(amr, str) else tuple(str(method) for method in amr),
        )
        try:
            required = settings.COOPCTG_OIDC_ACR_VALUES
            if required and claims.acr not in required:
                raise OIDCRefused("niveau")
            return resolve_identity(
                claims,
                email_verified=not _is_false(userinfo.get("email_verified")),
                first_name=str(userinfo.get("given_name") or ""),
                last_name=str(userinfo.get("usual_name") or userinfo.get("family_name") or ""),
            )
        except OIDCRefused as refusal:
            logger.info("Connexion OpenID Connect refusée (%s) : %s", refusal.reason, claims.sub)
            setattr(self.request, REFUSAL_ATTRIBUTE, refusal)
            return None


# --- Logout at the provider ---------------------------------------------------------------


def provider_logout_url(request: HttpRequest) -> str | None:
    """The provider's end-session URL for a session opened through OpenID Connect (read it
    before the session ends), None for any other session.

    ``id_token_hint``, ``post_logout_redirect_uri`` and ``state`` are all required by
    ProConnect. The state is signed and dated rather than kept in the session, which the
    logout empties: :func:`check_logout_state` verifies it on return.
    """
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    endpoint = getattr(settings, "COOPCTG_OIDC_END_SESSION_ENDPOINT", "")
    if not (enabled() and id_token and endpoint):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": signing.TimestampSigner(salt=LOGOUT_STATE_SALT).sign(get_random_string(32)),
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("oidc_logged_out")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def logout_url(request: HttpRequest) -> str:
    """``OIDC_OP_LOGOUT_URL_METHOD`` of mozilla-django-oidc's logout view."""
    return provider_logout_url(request) or resolve_url(settings.LOGOUT_REDIRECT_URL)


def check_logout_state(state: str) -> bool:
    try:
        signing.TimestampSigner(salt=LOGOUT_STATE_SALT).unsign(state, max_age=LOGOUT_STATE_MAX_AGE)
    except signing.BadSignature:
        return False
    return True


# --- django-axes --------------------------------------------------------------------------


def is_oidc_callback(request: HttpRequest, credentials: Any = None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: the callback of the provider is not a password attempt
    (the provider checks the password and limits its own attempts); counting its refusals
    under an empty user name would lock every OpenID Connect sign-in from that address."""
    return getattr(request, "path", None) == reverse("oidc_authentication_callback")


# --- Discovery ----------------------------------------------------------------------------

#: Environment variable ← key of the provider's discovery document.
DISCOVERED_SETTINGS = {
    "COOPCTG_OIDC_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "COOPCTG_OIDC_TOKEN_ENDPOINT": "token_endpoint",
    "COOPCTG_OIDC_USERINFO_ENDPOINT": "userinfo_endpoint",
    "COOPCTG_OIDC_JWKS_ENDPOINT": "jwks_uri",
    "COOPCTG_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
}


class DiscoveryError(Exception):
    """The discovery document could not be read or is not usable; one French sentence."""


def discover(issuer: str, timeout: float = 10) -> dict[str, str]:
    """The environment variables of a provider, read from its
    ``/.well-known/openid-configuration`` (``coopctg oidc decouvrir``)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except requests.HTTPError as error:
        raise DiscoveryError(f"{url} répond {error.response.status_code}") from None
    except requests.RequestException:
        raise DiscoveryError(f"{url} ne répond pas (connexion impossible ou trop lente)") from None
    except ValueError:
        raise DiscoveryError(f"{url} ne répond pas un document JSON") from None
    if not isinstance(document, dict):
        raise DiscoveryError(f"{url} ne répond pas un document de configuration")
    if document.get("issuer") != issuer:
        raise DiscoveryError(
            f"le fournisseur se nomme « {document.get('issuer')} », pas « {issuer} » : "
            "donnez exactement son issuer"
        )
    values = {"COOPCTG_OIDC_ISSUER": issuer}
    for name, key in DISCOVERED_SETTINGS.items():
        value = document.get(key)
        if not value and name != "COOPCTG_OIDC_END_SESSION_ENDPOINT":
            raise DiscoveryError(f"le document de {url} n'a pas de « {key} »")
        if value:
            values[name] = str(value)
    methods = document.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise DiscoveryError("le fournisseur n'accepte pas PKCE S256, que CoopCTG utilise")
    return values
