"""Forms of the Cof pages: create a Cof, propose a modification, comment, decide.

The proposed architecture reuses the funding forms (:class:`ArchitectureForm` for the date and
the Cej base, :class:`PersonFormSet` for the persons); the rules themselves live in
:mod:`coopctg.agreements.workflow`, whose errors the views put back next to their field.
"""

import datetime as dt
from typing import Any

from django import forms

from coopctg.agreements import workflow
from coopctg.agreements.models import (
    COF_NUMBER_MAX_LENGTH,
    AgreementVersion,
    FundingAgreement,
    cof_number_error,
)
from coopctg.agreements.services import FUNCTION_MAX, NAME_MAX, SignatoryInput
from coopctg.agreements.workflow import MOTIF_MAX, CofInput, ProposalInput, WorkflowError
from coopctg.core.formats import format_date
from coopctg.core.forms import CleanTextMixin
from coopctg.funding.forms import ArchitectureForm

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_field(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date, par exemple 15/03/2024."},
        **kwargs,
    )


def text_field(
    label: str, *, required: bool = True, rows: int = 4, **kwargs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MOTIF_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def apply_error(form: forms.Form, error: WorkflowError) -> None:
    """Put a workflow error next to its field (or on top of the form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class SignatureFields:
    """For each party (the Caf, the collectivité): the signatory's name, function and date of
    signature — never in the future. ``required``: False for a decision that may be a refusal
    (the view asks them when the decision is an accord)."""

    def add_signature_fields(
        self, parties: list[tuple[str, str]], *, required: bool = True
    ) -> None:
        self.parties = parties
        fields = self.fields  # type: ignore[attr-defined]
        for partie, partie_nom in parties:
            fields[f"{partie}_nom"] = forms.CharField(
                label=f"Signataire pour {partie_nom}",
                max_length=NAME_MAX,
                required=required,
                help_text="Prénom et nom, par exemple « Mme Anne Martin ».",
                error_messages={"required": f"Indiquez qui signe pour {partie_nom}."},
            )
            fields[f"{partie}_fonction"] = forms.CharField(
                label="Fonction",
                max_length=FUNCTION_MAX,
                required=required,
                help_text="Par exemple « Président », « Directrice de la Caf ».",
                error_messages={"required": "Indiquez la fonction du ou de la signataire."},
            )
            fields[f"{partie}_date"] = date_field(
                "Date de signature",
                required=required,
                help_text="Le jour où cette partie a signé (distinct de la date d'effet).",
            )
            fields[f"{partie}_date"].error_messages["required"] = "Indiquez la date de signature."

    def signature_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                partie_nom,
                [self[f"{partie}_{name}"] for name in ("nom", "fonction", "date")],  # type: ignore[index]
            )
            for partie, partie_nom in self.parties
        ]

    def clean_signature_dates(self) -> None:
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        for partie, _ in self.parties:
            day = cleaned.get(f"{partie}_date")
            if day and day > workflow.today():
                self.add_error(  # type: ignore[attr-defined]
                    f"{partie}_date",
                    "La date de signature ne peut être dans le futur : enregistrez la signature "
                    "une fois le document signé.",
                )

    def signatures(self) -> list[SignatoryInput]:
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        return [
            SignatoryInput(
                partie=partie,
                nom=cleaned.get(f"{partie}_nom") or "",
                fonction=cleaned.get(f"{partie}_fonction") or "",
                date_signature=cleaned[f"{partie}_date"],
            )
            for partie, _ in self.parties
            if cleaned.get(f"{partie}_date")
        ]


def signature_initial(version: AgreementVersion | None) -> dict[str, Any]:
    """The previous signatories as a starting point (the same people often sign again)."""
    if version is None:
        return {}
    initial: dict[str, Any] = {}
    for signatory in version.signatures.all():
        initial[f"{signatory.partie}_nom"] = signatory.nom
        initial[f"{signatory.partie}_fonction"] = signatory.fonction
    return initial


class SignatureForm(CleanTextMixin, SignatureFields, forms.Form):
    """Record (or correct) who signed a signed version."""

    def __init__(self, *args: Any, parties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_signature_fields(parties)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.clean_signature_dates()
        return cleaned


class CofForm(CleanTextMixin, SignatureFields, forms.Form):
    numero = forms.CharField(
        label="Numéro de la Cof",
        max_length=COF_NUMBER_MAX_LENGTH,
        required=False,
        help_text=(
            "Laisser vide pour le numéro suivant de la Caf (COF-37-année-n°). Lettres sans "
            "accent et chiffres, séparés par un tiret, un point ou un souligné."
        ),
    )
    date_debut = date_field("Début de la Cof (date d'effet de la Cof initiale)")
    date_fin = date_field("Fin de la Cof")

    def __init__(self, *args: Any, parties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_signature_fields(parties)

    def clean_numero(self) -> str:
        numero: str = self.cleaned_data["numero"].strip()
        if numero and (problem := cof_number_error(numero)):
            raise forms.ValidationError(f"Numéro de Cof non valide : {problem}.")
        return numero

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        debut, fin = cleaned.get("date_debut"), cleaned.get("date_fin")
        if debut and fin and fin <= debut:
            self.add_error("date_fin", "La fin de la Cof doit suivre son début.")
        self.clean_signature_dates()
        return cleaned

    def to_input(self) -> CofInput:
        data = self.cleaned_data
        return CofInput(
            numero=data["numero"] or None,
            date_debut=data["date_debut"],
            date_fin=data["date_fin"],
            signatures=tuple(self.signatures()),
        )


class RequestForm(CleanTextMixin, forms.Form):
    motif = text_field(
        "Motif de la demande",
        help_text=(
            "Ce qui change et pourquoi : organisation, affectation de mission, thématique, "
            "nouveau développement…"
        ),
    )


class ProposedArchitectureForm(ArchitectureForm):
    """The funding architecture's form, its date being the requested effective date."""

    def __init__(
        self, *args: Any, cof: FundingAgreement, latest: AgreementVersion | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cof = cof
        self.latest = latest
        field = self.fields["date_effet"]
        field.label = "Date d'effet demandée"
        after = f", après le {format_date(latest.date_effet)}" if latest else ""
        field.help_text = (
            f"La nouvelle architecture s'appliquerait à compter de cette date (entre le "
            f"{format_date(cof.date_debut)} et le {format_date(cof.date_fin)}{after})."
        )

    def clean_date_effet(self) -> dt.date:
        day: dt.date = self.cleaned_data["date_effet"]
        if not self.cof.date_debut <= day <= self.cof.date_fin:
            raise forms.ValidationError(
                f"La date d'effet doit tomber dans la période de la Cof "
                f"({format_date(self.cof.date_debut)} – {format_date(self.cof.date_fin)})."
            )
        if self.latest is not None and day <= self.latest.date_effet:
            raise forms.ValidationError(
                f"La date d'effet doit suivre celle de la version en vigueur "
                f"({self.latest.label}, depuis le {format_date(self.latest.date_effet)})."
            )
        return day


def proposal_input(
    request_form: RequestForm, form: ArchitectureForm, formset: Any
) -> ProposalInput:
    data = form.cleaned_data
    return ProposalInput(
        motif=request_form.cleaned_data["motif"],
        date_effet=data["date_effet"],
        rows=formset.rows(),
        base_montant=data.get("base_cej_montant"),
        base_etp=data.get("base_cej_etp"),
    )


class CommentForm(CleanTextMixin, forms.Form):
    texte = text_field("Votre commentaire", rows=3)


class ChangesForm(CleanTextMixin, forms.Form):
    texte = text_field(
        "Modifications à apporter",
        rows=3,
        help_text="La demande revient à la collectivité, qui la modifie puis la soumet à nouveau.",
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class DecisionForm(CleanTextMixin, SignatureFields, forms.Form):
    ACCORD = "accord"
    REFUS = "refus"

    decision = forms.ChoiceField(
        label="Décision",
        choices=[(ACCORD, "Accord : signer l'avenant"), (REFUS, "Refus")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez l'accord ou le refus."},
    )
    motif = text_field(
        "Motif de la décision",
        rows=3,
        help_text="Obligatoire ; il est communiqué à la collectivité.",
        error_messages={
            "required": "Motivez la décision : ce motif est communiqué à la collectivité."
        },
    )
    accord_prealable = forms.BooleanField(
        label="Accord préalable de la Caf pour ce nouveau développement",
        required=False,
        help_text=(
            "« Tout développement doit faire l'objet d'une prise de contact préalable, "
            "d'échanges et d'un accord de la Caf. » Votre nom et la date sont enregistrés."
        ),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args: Any,
        is_development: bool = False,
        parties: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.is_development = is_development
        self.add_signature_fields(parties or [], required=False)

    @property
    def accept(self) -> bool:
        return self.cleaned_data.get("decision") == self.ACCORD

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("decision") == self.ACCORD
            and self.is_development
            and not cleaned.get("accord_prealable")
        ):
            self.add_error(
                "accord_prealable",
                "Un développement (plus d'Etp que la version en vigueur) ne peut être accepté "
                "sans l'accord préalable de la Caf : cochez cette case pour l'enregistrer, ou "
                "refusez.",
            )
        if cleaned.get("decision") == self.ACCORD:  # the avenant is signed: who, when
            for partie, partie_nom in self.parties:
                if not cleaned.get(f"{partie}_nom") and f"{partie}_nom" not in self.errors:
                    self.add_error(f"{partie}_nom", f"Indiquez qui signe pour {partie_nom}.")
                if (
                    not cleaned.get(f"{partie}_fonction")
                    and f"{partie}_fonction" not in self.errors
                ):
                    self.add_error(
                        f"{partie}_fonction", "Indiquez la fonction du ou de la signataire."
                    )
                if not cleaned.get(f"{partie}_date") and f"{partie}_date" not in self.errors:
                    self.add_error(f"{partie}_date", "Indiquez la date de signature.")
            self.clean_signature_dates()
        return cleaned


class SubmitForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
