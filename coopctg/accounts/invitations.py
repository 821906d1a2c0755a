"""Accounts in the application: invitations, roles, deactivation.

One function per change, each in one transaction that also writes its history row
(:func:`coopctg.core.audit.record_change`); e-mails and notifications leave after commit.
The pages (« Comptes », the invitation page), the command line (``coopctg comptes``), the
demonstration and the OpenID Connect sign-in all go through these functions.

``actor`` is the person acting (a page's ``request.user``): the functions check that they may
act on the scope (:func:`coopctg.accounts.access.can_manage_scope`). ``actor=None`` is the
system (command line, demonstration): no check, « système » in the history.

Every refusal is an :class:`AccountError` whose message is one French sentence, shown next to
the form or, by the command line, on one line with exit status 2.

Invitation links hold a random secret; only its SHA-256 is stored (``Invitation.empreinte``).
A link is single-use (the invitation row is locked while it is accepted), expires after
``COOPCTG_INVITATION_DAYS`` days (7 by default) and may be cancelled.
"""

import datetime as dt
import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts import access
from coopctg.accounts.models import FederatedIdentity, Invitation, Membership, User
from coopctg.accounts.roles import COLLECTIVITE_ROLES, Role
from coopctg.accounts.sessions import end_sessions
from coopctg.core.audit import record_change, to_json
from coopctg.core.formats import format_date
from coopctg.core.models import AuditEntry
from coopctg.notifications.services import notify
from coopctg.organisations.models import Caf, LocalAuthority

logger = logging.getLogger(__name__)

DEFAULT_INVITATION_DAYS = 7


class AccountError(ValueError):
    """A refused change to an account; the message is one French sentence."""


@dataclass(frozen=True)
class IdentityClaims:
    """What an OpenID Connect provider asserts about a person (verified e-mail)."""

    issuer: str
    sub: str
    email: str
    acr: str = ""
    amr: tuple[str, ...] = ()


# --- Helpers ------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_days() -> int:
    return int(getattr(settings, "COOPCTG_INVITATION_DAYS", DEFAULT_INVITATION_DAYS))


def clean_email(courriel: str) -> str:
    """The address, trimmed, its domain in lower case; AccountError if it is not one."""
    value = (courriel or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise AccountError(f"Adresse électronique invalide : « {value} ».") from None
    return BaseUserManager.normalize_email(value)


def parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AccountError(f"Rôle inconnu : « {role} » (rôles possibles : {known}).") from None


def scope_label(caf: Caf | None, collectivite: LocalAuthority | None) -> str:
    if collectivite is not None:
        return collectivite.nom
    return caf.nom if caf is not None else "toutes les Caf (national)"


def _caf_id(caf: Caf | None, collectivite: LocalAuthority | None) -> int | None:
    if caf is not None:
        return caf.pk
    return collectivite.caf_id if collectivite is not None else None


def resolve_scope(
    role: str | Role,
    caf: Caf | None,
    collectivite: LocalAuthority | None,
    administrateur: bool = False,
) -> tuple[Role, Caf | None, LocalAuthority | None]:
    """The role and its scope, checked: a Caf for the Caf roles (an advisor may also hold
    it on one collectivité of that Caf), a collectivité for its editors and elected
    officials; the « administrateur » right goes with the editor role only."""
    role = parse_role(role)
    if administrateur and role != Role.COLLECTIVITE_EDITOR:
        raise AccountError(
            "Seul le rôle « éditeur·rice collectivité » peut porter le droit "
            "« administrateur·rice de la collectivité »."
        )
    if role in COLLECTIVITE_ROLES:
        if collectivite is None or caf is not None:
            raise AccountError(
                f"Le rôle « {role.label} » s'exerce sur une collectivité : indiquez la "
                "collectivité, pas la Caf."
            )
        return role, None, collectivite
    if role == Role.CAF_ADVISOR and collectivite is not None:
        if caf is None:
            caf = collectivite.caf
        elif collectivite.caf_id != caf.pk:
            raise AccountError(
                f"La collectivité « {collectivite.nom} » ne relève pas de la {caf.nom}."
            )
        return role, caf, collectivite
    if caf is None or collectivite is not None:
        raise AccountError(
            f"Le rôle « {role.label} » s'exerce sur une Caf : indiquez la Caf, pas une "
            "collectivité."
        )
    return role, caf, None


def _check_actor(
    actor: Any, role: Role, caf: Caf | None, collectivite: LocalAuthority | None
) -> None:
    if actor is None:
        return
    if not access.can_manage_scope(
        actor, role, caf_id=_caf_id(caf, collectivite), collectivite=collectivite
    ):
        raise AccountError(
            f"Vous ne pouvez pas donner le rôle « {role.label} » sur "
            f"{scope_label(caf, collectivite)}."
        )


def role_label(membership: Membership | Invitation) -> str:
    """« Éditeur·rice collectivité — CC Gâtine (administrateur·rice) »."""
    text = f"{Role(membership.role).label} — {scope_label(membership.caf, membership.collectivite)}"
    if membership.administrateur:
        text += " (administrateur·rice de la collectivité)"
    return text


def user_state(user: User) -> dict[str, Any]:
    """What the history keeps of a person's access: active or not, and their roles."""
    memberships = Membership.objects.filter(user=user).select_related("caf", "collectivite")
    return {"actif": user.is_active, "roles": sorted(role_label(m) for m in memberships)}


def _record_user(actor: Any, user: User, before: dict[str, Any], caf_id: int | None) -> None:
    record_change(
        actor,
        user,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=user_state(user),
        caf_id=caf_id,
    )


def _person_link(user: User) -> str:
    return reverse("accounts:person", args=[user.pk])


# --- Invitations --------------------------------------------------------------------------


def invitation_url(secret: str) -> str:
    """The absolute link of an invitation (``COOPCTG_BASE_URL`` + the acceptance page)."""
    return settings.COOPCTG_BASE_URL.rstrip("/") + reverse("accounts:accept", args=[secret])


def invitation_state(invitation: Invitation) -> dict[str, Any]:
    return to_json(
        {
            "courriel": invitation.courriel,
            "role": role_label(invitation),
            "expire_le": invitation.expire_le,
            "acceptee_le": invitation.acceptee_le,
            "annulee_le": invitation.annulee_le,
        }
    )


def _send_invitation_email(invitation_id: int, secret: str) -> None:
    invitation = (
        Invitation.objects.select_related("caf", "collectivite", "cree_par")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return
    inviter = str(invitation.cree_par) if invitation.cree_par else "L'équipe CoopCTG"
    role = Role(invitation.role).label
    scope = scope_label(invitation.caf, invitation.collectivite)
    expiry = format_date(timezone.localdate(invitation.expire_le))
    body = (
        f"Bonjour,\n\n{inviter} vous invite à rejoindre CoopCTG, l'outil de financement et de "
        f"suivi de la fonction de chargé·e de coopération Ctg, avec le rôle « {role} » pour "
        f"{scope}.\n\nPour accepter, ouvrez ce lien avant le {expiry} (il ne sert qu'une "
        f"fois) :\n\n{invitation_url(secret)}\n\nSi vous n'attendiez pas cette invitation, "
        "ignorez ce courriel : aucun compte n'est créé sans vous."
    )
    try:
        send_mail(f"[CoopCTG] Invitation : {role} — {scope}", body, None, [invitation.courriel])
    except Exception:  # the invitation stays; the inviter may resend it or give the link
        logger.exception("Courriel d'invitation non envoyé (invitation %s)", invitation_id)


def create_invitation(
    actor: Any,
    *,
    courriel: str,
    role: str | Role,
    caf: Caf | None = None,
    collectivite: LocalAuthority | None = None,
    administrateur: bool = False,
    send: bool = True,
) -> tuple[Invitation, str]:
    """Invites ``courriel`` to take ``role`` on a Caf or a collectivité; returns the
    invitation and the secret of its link (e-mailed after commit unless ``send`` is false;
    never stored)."""
    courriel = clean_email(courriel)
    role, caf, collectivite = resolve_scope(role, caf, collectivite, administrateur)
    _check_actor(actor, role, caf, collectivite)
    with transaction.atomic():
        holds = Membership.objects.filter(
            user__email__iexact=courriel,
            user__is_active=True,
            role=role.value,
            caf=caf,
            collectivite=collectivite,
        )
        if holds.exists():
            raise AccountError(
                f"Le compte de {courriel} a déjà le rôle « {role.label} » sur "
                f"{scope_label(caf, collectivite)}."
            )
        pending = Invitation.objects.filter(
            courriel__iexact=courriel,
            role=role.value,
            caf=caf,
            collectivite=collectivite,
            acceptee_le__isnull=True,
            annulee_le__isnull=True,
            expire_le__gt=timezone.now(),
        )
        if pending.exists():
            raise AccountError(
                f"Une invitation de {courriel} pour ce rôle est déjà en attente : "
                "renvoyez-la ou annulez-la."
            )
        secret = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            courriel=courriel,
            role=role.value,
            caf=caf,
            collectivite=collectivite,
            administrateur=administrateur,
            empreinte=hash_secret(secret),
            cree_par=actor,
            expire_le=timezone.now() + dt.timedelta(days=invitation_days()),
        )
        record_change(
            actor,
            invitation,
            AuditEntry.Action.CREATION,
            before=None,
            after=invitation_state(invitation),
            caf_id=_caf_id(caf, collectivite),
        )
        if send:
            transaction.on_commit(lambda: _send_invitation_email(invitation.pk, secret))
    return invitation, secret


def _ensure_pending(invitation: Invitation, now: dt.datetime | None = None) -> None:
    if invitation.annulee_le is not None:
        raise AccountError("Cette invitation a été annulée : demandez-en une nouvelle.")
    if invitation.acceptee_le is not None:
        raise AccountError("Cette invitation a déjà servi : connectez-vous avec le compte créé.")
    if invitation.expire_le <= (now or timezone.now()):
        expiry = format_date(timezone.localdate(invitation.expire_le))
        raise AccountError(
            f"Cette invitation a expiré le {expiry} : demandez-en une nouvelle à la "
            "personne qui vous a invité·e."
        )


def check_invitation(secret: str) -> Invitation:
    """The invitation of a link, if it may still be accepted; AccountError saying why not."""
    invitation = (
        Invitation.objects.select_related("caf", "collectivite", "cree_par")
        .filter(empreinte=hash_secret(secret or ""))
        .first()
    )
    if invitation is None:
        raise AccountError(
            "Ce lien d'invitation est inconnu : vérifiez qu'il est complet, ou demandez une "
            "nouvelle invitation."
        )
    _ensure_pending(invitation)
    return invitation


def pending_invitation_for_email(courriel: str) -> Invitation | None:
    """The most recent invitation of that address still valid (case-insensitive)."""
    return (
        Invitation.objects.select_related("caf", "collectivite", "cree_par")
        .filter(
            courriel__iexact=(courriel or "").strip(),
            acceptee_le__isnull=True,
            annulee_le__isnull=True,
            expire_le__gt=timezone.now(),
        )
        .order_by("-cree_le", "-id")
        .first()
    )


def resend_invitation(actor: Any, invitation: Invitation) -> tuple[Invitation, str]:
    """A new link (new secret, new expiry) for a pending or expired invitation; the old link
    stops working. Returns the invitation and the new secret (e-mailed after commit)."""
    _check_actor(actor, Role(invitation.role), invitation.caf, invitation.collectivite)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        if locked.acceptee_le is not None or locked.annulee_le is not None:
            raise AccountError("Cette invitation est déjà acceptée ou annulée.")
        before = invitation_state(locked)
        secret = secrets.token_urlsafe(32)
        locked.empreinte = hash_secret(secret)
        locked.expire_le = timezone.now() + dt.timedelta(days=invitation_days())
        locked.save(update_fields=["empreinte", "expire_le"])
        record_change(
            actor,
            locked,
            AuditEntry.Action.MODIFICATION,
            before=before,
            after=invitation_state(locked),
            caf_id=_caf_id(locked.caf, locked.collectivite),
        )
        transaction.on_commit(lambda: _send_invitation_email(locked.pk, secret))
    return locked, secret


def cancel_invitation(actor: Any, invitation: Invitation) -> Invitation:
    _check_actor(actor, Role(invitation.role), invitation.caf, invitation.collectivite)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        if locked.acceptee_le is not None:
            raise AccountError("Cette invitation est déjà acceptée : retirez plutôt le rôle.")
        if locked.annulee_le is not None:
            return locked
        before = invitation_state(locked)
        locked.annulee_le = timezone.now()
        locked.save(update_fields=["annulee_le"])
        record_change(
            actor,
            locked,
            AuditEntry.Action.MODIFICATION,
            before=before,
            after=invitation_state(locked),
            caf_id=_caf_id(locked.caf, locked.collectivite),
        )
    return locked


def username_from_email(courriel: str) -> str:
    """A free identifier made from the address (« julie.martin », « julie.martin2 »…)."""
    local = courriel.split("@", 1)[0]
    ascii_text = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    base = re.sub(r"[^\w.+-]", "", ascii_text.lower())[:140] or "compte"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise AccountError("Choisissez un identifiant.")
    field = User._meta.get_field("username")
    try:
        field.run_validators(username)
    except ValidationError:
        raise AccountError(
            "Identifiant invalide : lettres, chiffres et les caractères @ . + - _ seulement "
            f"({field.max_length} caractères au plus)."
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"L'identifiant « {username} » est déjà pris : choisissez-en un autre.")
    return username


def accept_invitation(
    invitation: Invitation,
    *,
    user: User | None = None,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    identity: IdentityClaims | None = None,
) -> User:
    """Accepts an invitation, once: creates the account (with ``password``, else without a
    usable password — signing in through OpenID Connect) or takes the existing ``user``,
    links ``identity`` when given, grants the role, marks the invitation accepted and tells
    the inviter. The invitation row is locked and checked again inside the transaction, so
    two acceptances of one link cannot both succeed.

    Without ``user``, an active or inactive account that already has the invited address is
    refused (sign in with it, then accept); ``username`` defaults to one made from the
    address."""
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("caf", "collectivite", "cree_par")
            .get(pk=invitation.pk)
        )
        _ensure_pending(locked)
        if (
            identity is not None
            and FederatedIdentity.objects.filter(
                fournisseur=identity.issuer, sujet=identity.sub
            ).exists()
        ):
            raise AccountError(
                "Cette identité est déjà liée à un compte CoopCTG : connectez-vous avec elle."
            )
        if user is None:
            if User.objects.filter(email__iexact=locked.courriel).exists():
                raise AccountError(
                    f"Un compte existe déjà pour l'adresse {locked.courriel} : connectez-vous "
                    "avec ce compte, puis rouvrez le lien de l'invitation."
                )
            username = (
                check_username(username) if username else username_from_email(locked.courriel)
            )
            user = User(
                username=username,
                first_name=first_name.strip()[:150],
                last_name=last_name.strip()[:150],
                email=locked.courriel,
            )
            if password:
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise AccountError(" ".join(error.messages)) from None
                user.set_password(password)
            else:
                user.set_unusable_password()
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:
                raise AccountError(
                    f"L'identifiant « {username} » est déjà pris : choisissez-en un autre."
                ) from None
            record_change(
                user,
                user,
                AuditEntry.Action.CREATION,
                before=None,
                after={
                    "identifiant": user.username,
                    "courriel": user.email,
                    "invitation": locked.pk,
                },
                caf_id=_caf_id(locked.caf, locked.collectivite),
            )
        elif not user.is_active:
            raise AccountError(
                "Ce compte est désactivé : demandez à votre administrateur·rice de le réactiver."
            )
        elif locked.cree_par_id == user.pk:
            raise AccountError(
                f"Vous avez créé cette invitation : elle est destinée à {locked.courriel}, "
                "transmettez-lui le lien."
            )
        if identity is not None:
            FederatedIdentity.objects.create(
                user=user,
                fournisseur=identity.issuer,
                sujet=identity.sub,
                courriel=identity.email,
                dernier_acr=identity.acr,
                dernier_amr=list(identity.amr),
            )
        before = user_state(user)
        _grant(user, Role(locked.role), locked.caf, locked.collectivite, locked.administrateur)
        _record_user(locked.cree_par, user, before, _caf_id(locked.caf, locked.collectivite))
        invitation_before = invitation_state(locked)
        locked.acceptee_le = timezone.now()
        locked.acceptee_par = user
        locked.save(update_fields=["acceptee_le", "acceptee_par"])
        record_change(
            user,
            locked,
            AuditEntry.Action.MODIFICATION,
            before=invitation_before,
            after=invitation_state(locked),
            caf_id=_caf_id(locked.caf, locked.collectivite),
        )
        if locked.cree_par is not None:
            notify(
                [locked.cree_par],
                f"{user} a accepté votre invitation",
                f"{user} ({locked.courriel}) a rejoint CoopCTG : {role_label(locked)}.",
                lien=_person_link(user),
            )
    return user


# --- Roles --------------------------------------------------------------------------------


def _grant(
    user: User,
    role: Role,
    caf: Caf | None,
    collectivite: LocalAuthority | None,
    administrateur: bool,
) -> Membership:
    """The membership, created or (same role and scope) given the « administrateur » right."""
    membership, created = Membership.objects.get_or_create(
        user=user,
        role=role.value,
        caf=caf,
        collectivite=collectivite,
        defaults={"administrateur": administrateur},
    )
    if not created and administrateur and not membership.administrateur:
        membership.administrateur = True
        membership.save(update_fields=["administrateur"])
    return membership


def _check_not_self(actor: Any, user: User) -> None:
    if actor is not None and actor.pk == user.pk:
        raise AccountError(
            "Vous ne pouvez pas modifier vos propres rôles ni désactiver votre propre compte."
        )


def grant_role(
    actor: Any,
    user: User,
    *,
    role: str | Role,
    caf: Caf | None = None,
    collectivite: LocalAuthority | None = None,
    administrateur: bool = False,
) -> Membership:
    """Gives a role to an existing account; the person is notified."""
    role, caf, collectivite = resolve_scope(role, caf, collectivite, administrateur)
    _check_actor(actor, role, caf, collectivite)
    _check_not_self(actor, user)
    if not user.is_active:
        raise AccountError("Ce compte est désactivé : réactivez-le d'abord.")
    with transaction.atomic():
        if Membership.objects.filter(
            user=user, role=role.value, caf=caf, collectivite=collectivite
        ).exists():
            raise AccountError(
                f"{user} a déjà le rôle « {role.label} » sur {scope_label(caf, collectivite)}."
            )
        before = user_state(user)
        membership = _grant(user, role, caf, collectivite, administrateur)
        _record_user(actor, user, before, _caf_id(caf, collectivite))
        notify(
            [user],
            "Un rôle vous est donné",
            f"Nouveau rôle : {role_label(membership)}.",
            lien=reverse("accounts:me"),
        )
    return membership


def change_role(
    actor: Any, membership: Membership, *, role: str | Role, administrateur: bool = False
) -> Membership:
    """Changes a role on the same scope (editor ↔ elected official, administrator ↔ analyst,
    the « administrateur » right); the person is notified."""
    old_role = Role(membership.role)
    _check_actor(actor, old_role, membership.caf, membership.collectivite)
    new_role, caf, collectivite = resolve_scope(
        role, membership.caf, membership.collectivite, administrateur
    )
    _check_actor(actor, new_role, caf, collectivite)
    user = membership.user
    _check_not_self(actor, user)
    if new_role == old_role and administrateur == membership.administrateur:
        return membership
    with transaction.atomic():
        clash = Membership.objects.filter(
            user=user, role=new_role.value, caf=caf, collectivite=collectivite
        ).exclude(pk=membership.pk)
        if clash.exists():
            raise AccountError(
                f"{user} a déjà le rôle « {new_role.label} » sur {scope_label(caf, collectivite)}."
            )
        before = user_state(user)
        old_label = role_label(membership)
        membership.role = new_role.value
        membership.caf = caf
        membership.collectivite = collectivite
        membership.administrateur = administrateur
        membership.save()
        _record_user(actor, user, before, _caf_id(caf, collectivite))
        notify(
            [user],
            "Votre rôle a changé",
            f"Avant : {old_label}.\nAprès : {role_label(membership)}.",
            lien=reverse("accounts:me"),
        )
    return membership


def withdraw_role(actor: Any, membership: Membership) -> None:
    """Withdraws a role; the person is notified (the account stays, maybe without role)."""
    role = Role(membership.role)
    _check_actor(actor, role, membership.caf, membership.collectivite)
    user = membership.user
    _check_not_self(actor, user)
    with transaction.atomic():
        before = user_state(user)
        label = role_label(membership)
        caf_id = _caf_id(membership.caf, membership.collectivite)
        membership.delete()
        _record_user(actor, user, before, caf_id)
        notify([user], "Un rôle vous est retiré", f"Rôle retiré : {label}.", lien="")


# --- Deactivation -------------------------------------------------------------------------


def check_may_manage_person(actor: Any, user: User) -> None:
    if actor is None:
        return
    _check_not_self(actor, user)
    if user.is_superuser:
        raise AccountError("Ce compte d'administration technique se gère en ligne de commande.")
    if not access.managed_users(actor).filter(pk=user.pk).exists():
        raise AccountError("Ce compte n'est pas dans votre périmètre.")
    outside = Membership.objects.filter(user=user).exclude(
        pk__in=access.managed_memberships(actor).values("pk")
    )
    if outside.exists():
        raise AccountError(
            "Cette personne a aussi des rôles hors de votre périmètre : seule "
            "l'administration de sa Caf peut désactiver son compte."
        )


def _caf_of_person(actor: Any, user: User) -> int | None:
    membership = (
        Membership.objects.filter(user=user).select_related("collectivite").order_by("pk").first()
    )
    if membership is not None:
        return _caf_id(membership.caf, membership.collectivite)
    scope = access.scope_of(actor) if actor is not None else None
    ids = sorted(scope.caf_admin_ids) if scope else []
    return ids[0] if ids else None


def deactivate_user(actor: Any, user: User) -> User:
    """Deactivates an account at once: it can no longer sign in, its sessions are ended and
    its API tokens revoked. Everything else stays (history, roles, authored documents)."""
    check_may_manage_person(actor, user)
    from coopctg.api.models import ApiToken

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return user
        before = user_state(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        ApiToken.objects.filter(user=user, revoque_le__isnull=True).update(
            revoque_le=timezone.now()
        )
        end_sessions(user)
        _record_user(actor, user, before, _caf_of_person(actor, user))
    return user


def reactivate_user(actor: Any, user: User) -> User:
    """Lets a deactivated account sign in again (its revoked tokens stay revoked)."""
    check_may_manage_person(actor, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            return user
        before = user_state(user)
        user.is_active = True
        user.save(update_fields=["is_active"])
        _record_user(actor, user, before, _caf_of_person(actor, user))
        notify(
            [user],
            "Votre compte est réactivé",
            "Vous pouvez de nouveau vous connecter à CoopCTG.",
            lien=reverse("accounts:me"),
        )
    return user


# --- The national analyst (Cnaf) --------------------------------------------------------------


@transaction.atomic
def set_national_analyst(actor: Any, user: User, *, granted: bool) -> bool:
    """Grant (or withdraw) the read-only national role; the history keeps who, when, before and
    after. Only the command line does it (no Caf manages it). Returns whether it changed."""
    from coopctg.accounts.roles import Role

    before = user_state(user)
    role = Role.NATIONAL_ANALYST.value
    if granted:
        _membership, changed = Membership.objects.get_or_create(
            user=user, role=role, caf=None, collectivite=None
        )
    else:
        changed = bool(Membership.objects.filter(user=user, role=role).delete()[0])
    if changed:
        _record_user(actor, user, before, None)
    return changed
