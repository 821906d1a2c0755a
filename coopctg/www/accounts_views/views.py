"""Accounts pages.

- The invitation page (public): who invites to what; create the account (identifier, name,
  password) or accept with the account already signed in; « Se connecter avec ProConnect »
  when OpenID Connect is configured.
- « Comptes » (Caf administrators for their Caf and its collectivités; a collectivité's
  administrator for its editors and elected officials): accounts and pending invitations,
  invite, a person's roles (give, change, withdraw), invitations (resend, cancel),
  deactivate / reactivate. Anyone else gets a 404, like the rest of the application.
- « Mon compte » (everyone): roles, open sessions (end one, or all the others), API tokens,
  last sign-ins, password change.
- Forgotten password: Django's views, French templates, the same answer whether the address
  is known or not.

Every change goes through :mod:`coopctg.accounts.invitations`.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coopctg.accounts import invitations as service
from coopctg.accounts.access import (
    can_manage_accounts,
    get_managed_invitation_for_user,
    get_managed_membership_for_user,
    get_managed_user_for_user,
    managed_invitations,
    managed_memberships,
    managed_users,
    scope_of,
)
from coopctg.accounts.invitations import AccountError
from coopctg.accounts.models import FederatedIdentity, Invitation, LoginSession, Membership, User
from coopctg.accounts.sessions import active_sessions, end_sessions, recent_logins, session_hash
from coopctg.api.models import ApiToken
from coopctg.core.models import AuditEntry
from coopctg.www.login_views.views import sign_in_options

from .forms import AcceptForm, ChangeRoleForm, InviteForm, RoleForm

#: The authentication backend of a session opened right after accepting an invitation.
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _crumbs(*items: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Accueil", reverse("home")), *items]


# --- The invitation page (public) ---------------------------------------------------------


def oidc_context() -> dict[str, Any]:
    """``oidc_enabled`` when OpenID Connect is configured, the URL that starts the sign-in,
    the provider's name and whether a password account may still be created."""
    options = sign_in_options()
    url = reverse("oidc_authentication_init") if options["oidc_enabled"] else ""
    return {**options, "oidc_login_url": url}


@login_not_required
@never_cache  # the page is reached by a secret link
def accept(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        invitation = service.check_invitation(secret)
    except AccountError as error:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=404
        )
    user = request.user if request.user.is_authenticated else None
    form = None
    status = 200
    if user is not None:
        if request.method == "POST":
            try:
                service.accept_invitation(invitation, user=user)
            except AccountError as error:
                messages.error(request, str(error))
                return redirect(request.path)
            messages.success(request, f"Invitation acceptée : {service.role_label(invitation)}.")
            return redirect(reverse("home"))
    elif settings.COOPCTG_PASSWORD_LOGIN:  # else: OpenID Connect only (README)
        form = AcceptForm(
            request.POST or None,
            courriel=invitation.courriel,
            initial={"username": service.username_from_email(invitation.courriel)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                created = service.accept_invitation(
                    invitation,
                    username=form.cleaned_data["username"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
            except AccountError as error:
                form.add_error(None, str(error))
            else:
                login(request, created, backend=PASSWORD_BACKEND)
                messages.success(
                    request,
                    f"Bienvenue : votre compte « {created.username} » est créé "
                    f"({service.role_label(invitation)}).",
                )
                return redirect(reverse("home"))
        if form.errors:
            status = 400
    existing = user is None and User.objects.filter(email__iexact=invitation.courriel).exists()
    return render(
        request,
        "accounts/accept.html",
        {
            "invitation": invitation,
            "role": service.role_label(invitation),
            "inviter": str(invitation.cree_par) if invitation.cree_par else "",
            "form": form,
            "existing_account": existing,
            "own_invitation": user is not None and invitation.cree_par_id == user.pk,
            "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
            **oidc_context(),
        },
        status=status,
    )


# --- « Comptes » --------------------------------------------------------------------------


def _manager(request: HttpRequest) -> User:
    if not can_manage_accounts(request.user):
        raise Http404("Page introuvable.")
    return request.user


def account_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    roles = managed_memberships(actor).select_related("caf", "collectivite")
    people = list(
        managed_users(actor)
        .prefetch_related(Prefetch("memberships", queryset=roles, to_attr="roles_in_scope"))
        .order_by("-is_active", "last_name", "first_name", "username")
    )
    pending = list(
        managed_invitations(actor)
        .filter(acceptee_le__isnull=True, annulee_le__isnull=True)
        .select_related("caf", "collectivite", "cree_par")
        .order_by("-cree_le", "-id")
    )
    now = timezone.now()
    return render(
        request,
        "accounts/list.html",
        {
            "people": people,
            "invitations": [(i, service.role_label(i), i.expire_le <= now) for i in pending],
            "crumbs": _crumbs(("Comptes", "")),
        },
    )


@never_cache  # the answer shows the invitation link once
def invite(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = InviteForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        caf, collectivite = form.scope
        try:
            invitation, secret = service.create_invitation(
                actor,
                courriel=form.cleaned_data["courriel"],
                role=form.cleaned_data["role"],
                caf=caf,
                collectivite=collectivite,
                administrateur=form.cleaned_data["administrateur"],
            )
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            return _invited(request, invitation, secret)
    return render(
        request,
        "accounts/invite.html",
        {
            "form": form,
            "crumbs": _crumbs(("Comptes", reverse("accounts:list")), ("Inviter", "")),
        },
        status=400 if form.errors else 200,
    )


def _invited(request: HttpRequest, invitation: Invitation, secret: str) -> HttpResponse:
    return render(
        request,
        "accounts/invited.html",
        {
            "invitation": invitation,
            "role": service.role_label(invitation),
            "link": service.invitation_url(secret),
            "crumbs": _crumbs(("Comptes", reverse("accounts:list")), ("Invitation", "")),
        },
    )


#: The most recent history rows shown on a person's page.
HISTORY_LENGTH = 50

HISTORY_LABELS = {
    "actif": "compte actif",
    "roles": "rôles",
    "identifiant": "identifiant",
    "courriel": "adresse électronique",
    "invitation": "invitation n°",
}


def _history_lines(value: Any) -> list[str]:
    """A history value as lines of text: a list one item per line, a boolean « oui »/« non »."""
    if value is None:
        return ["—"]
    if isinstance(value, bool):
        return ["oui" if value else "non"]
    if isinstance(value, list):
        return [str(item) for item in value] or ["aucun"]
    return [str(value)]


def _history_changes(entry: AuditEntry) -> list[tuple[str, list[str], list[str]]]:
    return [
        (HISTORY_LABELS.get(key, key), _history_lines(before), _history_lines(after))
        for key, before, after in entry.changes()
    ]


def _person_page(
    request: HttpRequest, person: User, grant_form: RoleForm | None = None, status: int = 200
) -> HttpResponse:
    actor = request.user
    scope = scope_of(actor)
    roles = list(
        managed_memberships(actor)
        .filter(user=person)
        .select_related("caf", "collectivite")
        .order_by("role", "pk")
    )
    others = Membership.objects.filter(user=person).exclude(pk__in=[m.pk for m in roles]).count()
    invitation_filter = Q(acceptee_par=person)
    if person.email:
        invitation_filter |= Q(courriel__iexact=person.email, acceptee_le__isnull=True)
    person_invitations = list(
        managed_invitations(actor)
        .filter(invitation_filter)
        .select_related("caf", "collectivite", "cree_par")
        .order_by("-cree_le", "-id")
    )
    history = []
    if scope.caf_admin_ids:
        entries = AuditEntry.objects.filter(
            objet_type="accounts.user",
            objet_id=str(person.pk),
            caf_id__in=scope.caf_admin_ids,
        ).order_by("-horodatage", "-id")[:HISTORY_LENGTH]
        history = [(entry, _history_changes(entry)) for entry in entries]
    try:
        service.check_may_manage_person(actor, person)
        refusal = ""
    except AccountError as error:
        refusal = str(error)
    now = timezone.now()
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "roles": [
                (
                    m,
                    service.role_label(m),
                    ChangeRoleForm(
                        actor=actor,
                        prefix=f"r{m.pk}",
                        initial={"role": m.role, "administrateur": m.administrateur},
                    ),
                )
                for m in roles
            ],
            "others": others,
            "invitations": [
                (i, service.role_label(i), i.expire_le <= now) for i in person_invitations
            ],
            "grant_form": grant_form or RoleForm(actor=actor),
            "history": history,
            "refusal": refusal,
            "is_self": person.pk == actor.pk,
            "crumbs": _crumbs(("Comptes", reverse("accounts:list")), (str(person), "")),
        },
        status=status,
    )


def person(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    return _person_page(request, get_managed_user_for_user(actor, pk))


@require_POST
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    target = get_managed_user_for_user(actor, pk)
    form = RoleForm(request.POST, actor=actor)
    if form.is_valid():
        caf, collectivite = form.scope
        try:
            membership = service.grant_role(
                actor,
                target,
                role=form.cleaned_data["role"],
                caf=caf,
                collectivite=collectivite,
                administrateur=form.cleaned_data["administrateur"],
            )
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Rôle donné : {service.role_label(membership)}.")
            return redirect(reverse("accounts:person", args=[target.pk]))
    return _person_page(request, target, grant_form=form, status=400)


@require_POST
def role_change(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    membership = get_managed_membership_for_user(actor, pk)
    form = ChangeRoleForm(request.POST, actor=actor, prefix=f"r{membership.pk}")
    if form.is_valid():
        try:
            service.change_role(
                actor,
                membership,
                role=form.cleaned_data["role"],
                administrateur=form.cleaned_data["administrateur"],
            )
        except AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Rôle modifié : {service.role_label(membership)}.")
    else:
        messages.error(request, "Choisissez un rôle de la liste.")
    return redirect(reverse("accounts:person", args=[membership.user_id]))


@require_POST
def role_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    membership = get_managed_membership_for_user(actor, pk)
    label = service.role_label(membership)
    try:
        service.withdraw_role(actor, membership)
    except AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Rôle retiré : {label}.")
    return redirect(reverse("accounts:person", args=[membership.user_id]))


@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    target = get_managed_user_for_user(actor, pk)
    try:
        service.deactivate_user(actor, target)
    except AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Le compte de {target} est désactivé : ses sessions sont fermées et ses jetons "
            "d'API révoqués.",
        )
    return redirect(reverse("accounts:person", args=[target.pk]))


@require_POST
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    target = get_managed_user_for_user(actor, pk)
    try:
        service.reactivate_user(actor, target)
    except AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Le compte de {target} est réactivé.")
    return redirect(reverse("accounts:person", args=[target.pk]))


@require_POST
@never_cache
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    invitation = get_managed_invitation_for_user(actor, pk)
    try:
        invitation, secret = service.resend_invitation(actor, invitation)
    except AccountError as error:
        messages.error(request, str(error))
        return redirect(reverse("accounts:list"))
    return _invited(request, invitation, secret)


@require_POST
def invitation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    invitation = get_managed_invitation_for_user(actor, pk)
    try:
        service.cancel_invitation(actor, invitation)
    except AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"L'invitation de {invitation.courriel} est annulée.")
    return redirect(reverse("accounts:list"))


# --- « Mon compte » -----------------------------------------------------------------------


def me(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    memberships = Membership.objects.filter(user=user).select_related("caf", "collectivite")
    return render(
        request,
        "accounts/me.html",
        {
            "roles": sorted(service.role_label(m) for m in memberships),
            "sessions": active_sessions(user),
            "current_hash": session_hash(request.session.session_key),
            "logins": list(recent_logins(user)),
            "tokens": ApiToken.objects.filter(user=user, revoque_le__isnull=True).count(),
            "identities": list(FederatedIdentity.objects.filter(user=user).order_by("liee_le")),
            "crumbs": _crumbs(("Mon compte", "")),
        },
    )


@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    record = (
        LoginSession.objects.filter(user=request.user, pk=pk).exclude(empreinte_session="").first()
    )
    if record is None:
        raise Http404("Page introuvable.")
    current = record.empreinte_session == session_hash(request.session.session_key)
    end_sessions(request.user, only=record.empreinte_session)
    if current:
        return redirect(reverse("login"))
    messages.success(request, "La session est fermée.")
    return redirect(reverse("accounts:me"))


@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = end_sessions(request.user, keep=request.session.session_key)
    messages.success(
        request,
        "Aucune autre session ouverte."
        if not count
        else f"{count} autre{'s' if count > 1 else ''} session{'s' if count > 1 else ''} "
        f"fermée{'s' if count > 1 else ''}.",
    )
    return redirect(reverse("accounts:me"))


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Django keeps this session; the others end now (not only at their next request).
        end_sessions(self.request.user, keep=self.request.session.session_key)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["usable"] = self.request.user.has_usable_password()
        context["crumbs"] = _crumbs(("Mon compte", reverse("accounts:me")), ("Mot de passe", ""))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_usable_password():
            raise Http404("Page introuvable.")
        return super().post(request, *args, **kwargs)


class PasswordChangeDone(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- Forgotten password (public) ----------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
class PasswordReset(auth_views.PasswordResetView):
    """The same answer whether the address is known or not (no account enumeration)."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # The link in the e-mail starts with COOPCTG_BASE_URL, never with the Host header.
        self.extra_email_context = {"base_url": settings.COOPCTG_BASE_URL.rstrip("/")}
        return super().form_valid(form)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        end_sessions(form.user)  # a forgotten password may be a stolen one
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
