"""Forms of the partner directory, of the links and of the networks (errors next to the
field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from coopctg.core.forms import CleanTextMixin
from coopctg.core.themes import THEME_CHOICES
from coopctg.organisations.models import Caf
from coopctg.partners.models import Network, NetworkMembership, Partner
from coopctg.partners.rules import CODE_INSEE, CODE_POSTAL, SIRET
from coopctg.territories.models import Commune


class PartnerForm(CleanTextMixin, forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label="Thématiques",
        choices=THEME_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Partner
        fields = [
            "nom",
            "kind",
            "siret",
            "adresse",
            "code_postal",
            "code_insee",
            "themes",
            "description",
            "contact_fonction",
            "collectivite",
        ]

    def __init__(self, *args: Any, caf: Caf, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caf = caf
        self.fields["collectivite"].queryset = caf.collectivites.order_by("nom")  # type: ignore[attr-defined]
        self.fields["code_insee"].help_text = "5 caractères, par exemple 37123."

    def clean_siret(self) -> str:
        value = self.cleaned_data["siret"].replace(" ", "")
        if value and not SIRET.fullmatch(value):
            raise forms.ValidationError("Le SIRET a 14 chiffres.")
        return value

    def clean_code_postal(self) -> str:
        value = self.cleaned_data["code_postal"].strip()
        if value and not CODE_POSTAL.fullmatch(value):
            raise forms.ValidationError("Le code postal a 5 chiffres.")
        return value

    def clean_code_insee(self) -> str:
        value = self.cleaned_data["code_insee"].strip().upper()
        if value and (
            not CODE_INSEE.fullmatch(value) or not Commune.objects.filter(code_insee=value).exists()
        ):
            raise forms.ValidationError(f"« {value} » n'est pas le code INSEE d'une commune.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("collectivite") and data.get("kind") != "service_collectivite":
            self.add_error(
                "collectivite",
                "Seul un service d'une collectivité peut être un service interne.",
            )
        return data

    def save(self, commit: bool = True) -> Partner:
        partner = super().save(commit=False)
        partner.caf = self.caf
        code = partner.code_insee
        partner.commune = (
            Commune.objects.filter(code_insee=code).values_list("nom", flat=True).first() or ""
            if code
            else ""
        )
        if commit:
            partner.save()
        return partner


def _partners(caf_id: int) -> QuerySet[Partner]:
    return Partner.objects.filter(caf_id=caf_id).order_by("nom", "pk")


class ActionPartnersForm(CleanTextMixin, forms.Form):
    pilotes = forms.ModelMultipleChoiceField(
        label="Pilote(s)", queryset=Partner.objects.none(), required=False
    )
    contributeurs = forms.ModelMultipleChoiceField(
        label="Contributeurs", queryset=Partner.objects.none(), required=False
    )
    services_internes = forms.ModelMultipleChoiceField(
        label="Services internes de la collectivité (transversalité en interne)",
        queryset=Partner.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, ctg: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = _partners(ctg.caf_id)
        self.fields["pilotes"].queryset = partners
        self.fields["contributeurs"].queryset = partners
        self.fields["services_internes"].queryset = partners.filter(
            collectivite__in=ctg.signataires.all()
        )
        for field in self.fields.values():
            field.widget.attrs["size"] = 8
            field.help_text = "Ctrl (ou Cmd) + clic pour en choisir plusieurs."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        seen: set[int] = set()
        for name in ("pilotes", "contributeurs", "services_internes"):
            for partner in data.get(name) or []:
                if partner.pk in seen:
                    self.add_error(name, f"« {partner} » a déjà un autre rôle dans l'action.")
                seen.add(partner.pk)
        return data

    def rows(self) -> list[tuple[Partner, str]]:
        roles = {"pilotes": "pilote", "contributeurs": "contributeur"}
        roles["services_internes"] = "service_interne"
        return [(p, role) for name, role in roles.items() for p in self.cleaned_data[name]]


class MeetingPartnersForm(CleanTextMixin, forms.Form):
    presents = forms.ModelMultipleChoiceField(
        label="Partenaires présents", queryset=Partner.objects.none(), required=False
    )
    excuses = forms.ModelMultipleChoiceField(
        label="Partenaires excusés", queryset=Partner.objects.none(), required=False
    )
    reseau = forms.ModelChoiceField(
        label="Réseau de la réunion",
        queryset=Network.objects.none(),
        required=False,
        help_text="Pour une réunion de réseau : le réseau qui se réunit.",
    )

    def __init__(self, *args: Any, meeting: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        caf_id = meeting.ctg.caf_id
        for name in ("presents", "excuses"):
            self.fields[name].queryset = _partners(caf_id)
            self.fields[name].widget.attrs["size"] = 8
            self.fields[name].help_text = "Ctrl (ou Cmd) + clic pour en choisir plusieurs."
        if meeting.kind == "reseau":
            self.fields["reseau"].queryset = Network.objects.filter(caf_id=caf_id)
        else:
            del self.fields["reseau"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        both = set(data.get("presents") or []) & set(data.get("excuses") or [])
        if both:
            names = ", ".join(sorted(p.nom for p in both))
            self.add_error("excuses", f"Présent et excusé à la fois : {names}.")
        return data

    def rows(self) -> list[tuple[Partner, str]]:
        return [(p, "present") for p in self.cleaned_data["presents"]] + [
            (p, "excuse") for p in self.cleaned_data["excuses"]
        ]


class NetworkForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Network
        fields = ["nom", "kind", "theme", "description", "partenaires"]

    def __init__(self, *args: Any, caf: Caf, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caf = caf
        self.fields["partenaires"].queryset = _partners(caf.pk)
        self.fields["partenaires"].help_text = "Les partenaires de l'annuaire membres du réseau."

    def clean_nom(self) -> str:
        nom = self.cleaned_data["nom"].strip()
        if Network.objects.filter(caf=self.caf, nom=nom).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Un réseau de ce nom existe déjà.")
        return nom

    def save(self, commit: bool = True) -> Network:
        network = super().save(commit=False)
        network.caf = self.caf
        if commit:
            network.save()
        return network


class MembershipForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = NetworkMembership
        fields = ["network", "date_debut", "date_fin"]
        widgets = {
            "date_debut": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_fin": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, ctg: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        self.fields["network"].queryset = Network.objects.filter(caf_id=ctg.caf_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_debut"), data.get("date_fin")
        if start and end and end < start:
            self.add_error("date_fin", "La fin de l'adhésion doit suivre son début.")
        if (
            start
            and data.get("network")
            and NetworkMembership.objects.filter(
                ctg=self.ctg, network=data["network"], date_debut=start
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("date_debut", "Cette adhésion est déjà enregistrée.")
        return data

    def save(self, commit: bool = True) -> NetworkMembership:
        membership = super().save(commit=False)
        membership.ctg = self.ctg
        if commit:
            membership.save()
        return membership


class DiagnosticPartnersForm(CleanTextMixin, forms.Form):
    partenaires = forms.ModelMultipleChoiceField(
        label="Partenaires de l'annuaire consultés",
        queryset=Partner.objects.none(),
        required=False,
        help_text="Ctrl (ou Cmd) + clic pour en choisir plusieurs.",
    )

    def __init__(self, *args: Any, diagnostic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partenaires"].queryset = _partners(diagnostic.ctg.caf_id)
        self.fields["partenaires"].widget.attrs["size"] = 10
