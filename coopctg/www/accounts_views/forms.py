"""Forms of the accounts pages: accepting an invitation, inviting, giving or changing a role."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db.models import Q

from coopctg.accounts.access import scope_of
from coopctg.accounts.invitations import AccountError, check_username, resolve_scope
from coopctg.accounts.models import User
from coopctg.accounts.roles import CAF_ROLES, COLLECTIVITE_ROLES, Role
from coopctg.core.forms import CleanTextMixin
from coopctg.organisations.models import Caf, LocalAuthority


def _password_help() -> str:
    return " ".join(password_validation.password_validators_help_texts())


class AcceptForm(CleanTextMixin, forms.Form):
    """A new account for the invited person: identifier, name, password (Django's rules)."""

    username = forms.CharField(
        label="Identifiant",
        max_length=150,
        help_text="Pour vous connecter : lettres, chiffres et les caractères @ . + - _.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    first_name = forms.CharField(
        label="Prénom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Le même mot de passe, pour confirmer",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, courriel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.courriel = courriel
        self.fields["password1"].help_text = _password_help()

    def clean_username(self) -> str:
        try:
            return check_username(self.cleaned_data["username"])
        except AccountError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "Les deux mots de passe diffèrent.")
        elif password1:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=self.courriel,
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class RoleForm(CleanTextMixin, forms.Form):
    """A role and its scope, among what the person acting may give."""

    role = forms.ChoiceField(label="Rôle")
    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        queryset=LocalAuthority.objects.none(),
        required=False,
        empty_label="— (toute la Caf) —",
        help_text="Obligatoire pour un·e éditeur·rice ou un·e élu·e ; pour un·e conseiller·ère "
        "Caf, la collectivité qui lui est confiée ; vide pour un rôle sur toute la Caf.",
    )
    administrateur = forms.BooleanField(
        label="Administrateur·rice de la collectivité",
        required=False,
        help_text="Peut inviter des personnes et gérer les rôles de sa collectivité "
        "(éditeur·rice seulement).",
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_of(actor)
        roles = [r for r in Role if scope.caf_admin_ids or r in COLLECTIVITE_ROLES]
        self.fields["role"].choices = [("", "— choisir un rôle —")] + [
            (r.value, r.label) for r in roles
        ]
        collectivites = LocalAuthority.objects.filter(
            Q(caf_id__in=scope.caf_admin_ids) | Q(id__in=scope.administered_ids)
        ).order_by("nom")
        self.fields["collectivite"].queryset = collectivites
        if not scope.caf_admin_ids:
            self.fields["collectivite"].required = True
            self.fields["collectivite"].empty_label = None
            self.fields["collectivite"].help_text = ""
        self.cafs = list(Caf.objects.filter(pk__in=scope.caf_admin_ids).order_by("code"))
        if len(self.cafs) > 1:
            self.fields["caf"] = forms.ModelChoiceField(
                label="Caf",
                queryset=Caf.objects.filter(pk__in=scope.caf_admin_ids).order_by("code"),
                required=False,
            )
        self.scope: tuple[Caf | None, LocalAuthority | None] = (None, None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "role" not in data:
            return data
        role = Role(data["role"])
        collectivite = data.get("collectivite")
        caf: Caf | None = None
        if role in CAF_ROLES:
            caf = data.get("caf") or (self.cafs[0] if len(self.cafs) == 1 else None)
            if caf is None and collectivite is not None:
                caf = collectivite.caf
            if caf is None:
                self.add_error("caf", "Choisissez la Caf.")
                return data
            if role != Role.CAF_ADVISOR and collectivite is not None:
                self.add_error(
                    "collectivite",
                    f"Laissez vide : le rôle « {role.label} » porte sur toute la Caf.",
                )
                return data
        elif collectivite is None:
            self.add_error("collectivite", f"Choisissez la collectivité du rôle « {role.label} ».")
            return data
        try:
            _, caf, collectivite = resolve_scope(
                role, caf, collectivite, data.get("administrateur", False)
            )
        except AccountError as error:
            field = "administrateur" if data.get("administrateur") else "collectivite"
            self.add_error(field, str(error))
            return data
        self.scope = (caf, collectivite)
        return data


class InviteForm(RoleForm):
    courriel = forms.EmailField(
        label="Adresse électronique",
        help_text="L'invitation y est envoyée : un lien personnel, valable une fois.",
    )
    field_order = ["courriel", "role", "collectivite", "administrateur"]


class ChangeRoleForm(CleanTextMixin, forms.Form):
    role = forms.ChoiceField(label="Rôle")
    administrateur = forms.BooleanField(
        label="Administrateur·rice de la collectivité", required=False
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_of(actor)
        roles = [r for r in Role if scope.caf_admin_ids or r in COLLECTIVITE_ROLES]
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
