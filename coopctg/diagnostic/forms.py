"""Forms of the diagnostic partagé, the besoins, the commissions d'admission and the
objectifs de développement (French messages, next to the fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from coopctg.actionplan.forms import MAX_UPLOAD_BYTES, ObjectiveChoiceField
from coopctg.actionplan.models import Action
from coopctg.actionplan.services import current_framework, ordered_objectives
from coopctg.core.forms import CleanTextMixin
from coopctg.ctg.models import Ctg
from coopctg.diagnostic import register
from coopctg.diagnostic.commissions import CommissionError, check_commission
from coopctg.diagnostic.indicators import indicator_choices, labels_of
from coopctg.diagnostic.models import (
    Commission,
    CommissionFollowUp,
    DevelopmentTarget,
    Diagnostic,
    Enjeu,
    Need,
)
from coopctg.diagnostic.needs import check_anonymous
from coopctg.diagnostic.rules import Criterion
from coopctg.diagnostic.services import copil_choices, ctg_communes
from coopctg.governance.forms import DATE_FORMATS, date_input
from coopctg.governance.models import Meeting
from coopctg.governance.services import meeting_label
from coopctg.territories.models import Commune


class MeetingChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        label = meeting_label(obj)
        return f"{label} — {obj.objet}" if obj.objet else label


class CopilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        label = meeting_label(obj)
        return f"{label} — {obj.objet}" if obj.objet else label


class ActionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Action) -> str:
        return f"{obj.code} — {obj.titre}"


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.nom} ({obj.code_insee})"


# --- Diagnostic ----------------------------------------------------------------------------------


class DiagnosticForm(CleanTextMixin, forms.ModelForm):
    instances = MeetingChoiceField(
        label="Instances et ateliers tenus pour le diagnostic",
        queryset=Meeting.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Les instances de la Ctg (Copil, Cotech, groupes de travail, réseaux) qui ont "
        "porté la démarche.",
    )

    class Meta:
        model = Diagnostic
        fields = ["date", "titre", "contexte", "partenaires", "habitants", "methode"]
        widgets = {
            "date": date_input(),
            "contexte": forms.Textarea(attrs={"rows": 6}),
            "partenaires": forms.Textarea(attrs={"rows": 4}),
            "habitants": forms.Textarea(attrs={"rows": 4}),
            "methode": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        self.fields["date"].input_formats = DATE_FORMATS
        self.fields["instances"].queryset = Meeting.objects.filter(ctg=ctg).order_by("date", "id")
        if self.instance.pk:
            self.initial.setdefault("instances", list(self.instance.instances.all()))


class ValidationForm(forms.Form):
    copil = CopilChoiceField(
        label="Comité de pilotage qui a validé cette version",
        queryset=Meeting.objects.none(),
        empty_label="Choisir le Copil",
        help_text="Un Copil de la Ctg déjà tenu. La version ne pourra plus être modifiée.",
    )

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["copil"].queryset = copil_choices(ctg, timezone.localdate())


class EnjeuForm(CleanTextMixin, forms.ModelForm):
    indicateurs = forms.MultipleChoiceField(
        label="Indicateurs qui le fondent",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Les indicateurs du catalogue (fiche diagnostic du territoire).",
    )
    actions = ActionChoiceField(
        label="Actions du plan qui y répondent",
        queryset=Action.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    objectifs = ObjectiveChoiceField(
        label="Objectifs du référentiel",
        queryset=ordered_objectives().none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Enjeu
        fields = ["theme", "intitule", "constat"]
        widgets = {"constat": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = indicator_choices(ctg.signataires.values_list("pk", flat=True))
        known = {code for code, _ in choices}
        # A code cited before and no longer known stays choosable (kept as it is).
        gone = [code for code in self.instance.indicateurs if code not in known]
        choices += list(labels_of(gone).items())
        self.fields["indicateurs"].choices = choices
        self.fields["actions"].queryset = Action.objects.filter(ctg=ctg).order_by(
            "position", "code", "id"
        )
        version = current_framework()
        self.fields["objectifs"].queryset = (
            ordered_objectives().filter(mission__version=version)
            if version
            else ordered_objectives().none()
        )
        if self.instance.pk:
            self.initial.setdefault("indicateurs", list(self.instance.indicateurs))
            self.initial.setdefault("actions", list(self.instance.actions.all()))
            self.initial.setdefault("objectifs", list(self.instance.objectifs.all()))


# --- Besoins ------------------------------------------------------------------------------------


class NeedForm(CleanTextMixin, forms.ModelForm):
    commune = CommuneChoiceField(
        label="Commune",
        queryset=Commune.objects.none(),
        required=False,
        empty_label="Tout le territoire",
    )

    class Meta:
        model = Need
        fields = [
            "date",
            "commune",
            "theme",
            "tranche_age",
            "nature",
            "source",
            "description",
            "repondu",
            "reponse",
        ]
        widgets = {
            "date": date_input(),
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
            "reponse": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        }

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].input_formats = DATE_FORMATS
        self.fields["commune"].queryset = ctg_communes(ctg)

    def clean_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError("La date ne peut pas être à venir.")
        return value

    def _anonymous(self, name: str) -> str:
        text: str = self.cleaned_data.get(name, "")
        problem = check_anonymous(text)
        if problem:
            raise forms.ValidationError(problem)
        return text

    def clean_description(self) -> str:
        return self._anonymous("description")

    def clean_reponse(self) -> str:
        return self._anonymous("reponse")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("repondu") and not cleaned.get("reponse") and "reponse" not in self.errors:
            self.add_error("reponse", "Dites quelle réponse a été apportée.")
        return cleaned


class RegisterImportForm(forms.Form):
    fichier = forms.FileField(
        label="Registre des besoins (.xlsx)",
        help_text="Le classeur exporté depuis cette page, complété : feuille « Besoins ». "
        "5 Mo au plus.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_fichier(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["fichier"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError("Le fichier doit être un classeur Excel .xlsx.")
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("Le fichier dépasse la taille maximale de 5 Mo.")
        problem = register.xlsx_problem(upload)
        if problem is not None:
            raise forms.ValidationError(problem)
        return upload


# --- Commissions ---------------------------------------------------------------------------------


class CommissionForm(CleanTextMixin, forms.ModelForm):
    commune = CommuneChoiceField(
        label="Commune",
        queryset=Commune.objects.none(),
        required=False,
        empty_label="Commission intercommunale",
        help_text="Pour une commission communale ; vide pour une commission intercommunale.",
    )

    class Meta:
        model = Commission
        fields = [
            "date",
            "intitule",
            "theme",
            "services",
            "commune",
            "places",
            "demandes",
            "admissions",
            "qf_bas",
            "monoparentales",
            "handicap",
            "qpv",
            "insertion",
        ]
        widgets = {"date": date_input()}

    def __init__(self, *args: Any, ctg: Ctg, qf_ceiling: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        self.fields["date"].input_formats = DATE_FORMATS
        self.fields["commune"].queryset = ctg_communes(ctg)
        for name in ("qf_bas", "monoparentales", "handicap", "qpv", "insertion"):
            self.fields[name].help_text = "Parmi les admissions ; un nombre, sans nom."
        if qf_ceiling:
            self.fields["qf_bas"].help_text = (
                f"Parmi les admissions : quotient familial inférieur ou égal à {qf_ceiling} "
                "(seuil de la Caf)."
            )
        self.fields["handicap"].help_text = (
            "Parmi les admissions : enfants bénéficiaires de l'AEEH (allocation d'éducation de "
            "l'enfant handicapé)."
        )

    def clean_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(
                "Une commission s'enregistre une fois tenue : la date ne peut pas être à venir."
            )
        return value

    def validate_constraints(self) -> None:
        """The counts are checked by the rules first, each error next to its field; the
        database's constraints (the same rules) only after."""
        counted = ["places", "demandes", "admissions", *(c.value for c in Criterion)]
        if any(name in self.errors or getattr(self.instance, name) is None for name in counted):
            super().validate_constraints()
            return
        try:
            check_commission(self.instance)
        except CommissionError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return
        super().validate_constraints()


class FollowUpForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = CommissionFollowUp
        fields = ["etape", "qui", "quoi", "quand", "resultat"]
        widgets = {
            "quand": date_input(),
            "quoi": forms.Textarea(attrs={"rows": 3}),
            "resultat": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quand"].input_formats = DATE_FORMATS


# --- Objectifs de développement ------------------------------------------------------------------


class TargetForm(CleanTextMixin, forms.ModelForm):
    copil = CopilChoiceField(
        label="Décidé en Copil",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Fixé avec la Ctg (objectif initial)",
        help_text="Pour modifier un objectif déjà fixé : le comité de pilotage qui l'a "
        "décidé (la date d'effet est alors celle du Copil).",
    )

    class Meta:
        model = DevelopmentTarget
        fields = ["collectivite", "kind", "cible", "precisions", "date_effet", "copil", "decision"]
        widgets = {"date_effet": date_input(), "precisions": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_effet"].input_formats = DATE_FORMATS
        self.fields[
            "date_effet"
        ].help_text = "Pour l'objectif initial : en général le début de la Ctg."
        self.fields["collectivite"].queryset = ctg.signataires.order_by("nom")
        self.fields["copil"].queryset = Meeting.objects.filter(ctg=ctg, kind="copil").order_by(
            "-date", "-id"
        )
        self.initial.setdefault("date_effet", ctg.date_debut)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("copil") and not cleaned.get("decision"):
            self.add_error("decision", "Citez la décision du Copil.")
        return cleaned


class AttributionForm(forms.Form):
    """Which signatories a fait marquant counts for (Ctg of several signatories)."""

    def __init__(self, *args: Any, ctg: Ctg, highlights: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.highlights = highlights
        signatories = ctg.signataires.order_by("nom")
        for highlight in highlights:
            self.fields[f"fait_{highlight.pk}"] = forms.ModelMultipleChoiceField(
                label=highlight.intitule,
                queryset=signatories,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                help_text="Aucune case : il compte pour chaque collectivité signataire.",
            )

    def rows(self) -> list[tuple[Any, Any]]:
        return [(h, self[f"fait_{h.pk}"]) for h in self.highlights]
