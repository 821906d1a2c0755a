"""Forms of the Cof pages: create a Cof, propose a modification, comment, decide.

The proposed architecture reuses the funding forms (:class:`ArchitectureForm` for the date and
the Cej base, :class:`PersonFormSet` for the persons); the rules themselves live in
:mod:`coopctg.agreements.workflow`, whose errors the views put back next to their field.
"""

import datetime as dt
from typing import Any

from django import forms

from coopctg.agreements.models import AgreementVersion, FundingAgreement
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


class CofForm(CleanTextMixin, forms.Form):
    numero = forms.CharField(
        label="Numéro de la Cof",
        max_length=50,
        required=False,
        help_text="Laisser vide pour le numéro suivant de la Caf (COF-37-année-n°).",
    )
    date_debut = date_field("Début de la Cof")
    date_fin = date_field("Fin de la Cof")
    signataires = text_field(
        "Signataires",
        required=False,
        rows=3,
        help_text="Les personnes qui signent, avec leur qualité (une par ligne).",
    )
    date_signature = date_field("Date de signature")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        debut, fin = cleaned.get("date_debut"), cleaned.get("date_fin")
        if debut and fin and fin <= debut:
            self.add_error("date_fin", "La fin de la Cof doit suivre son début.")
        return cleaned

    def to_input(self) -> CofInput:
        data = self.cleaned_data
        return CofInput(
            numero=data["numero"].strip() or None,
            date_debut=data["date_debut"],
            date_fin=data["date_fin"],
            signataires=data["signataires"],
            date_signature=data["date_signature"],
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


class DecisionForm(CleanTextMixin, forms.Form):
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

    def __init__(self, *args: Any, is_development: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_development = is_development

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
        return cleaned


class SubmitForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
