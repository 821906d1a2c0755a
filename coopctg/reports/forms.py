"""Forms of the bilan annuel: the self-assessment (one level and one comment per attendu) and
the Caf's decisions. Errors of :mod:`coopctg.reports.workflow` go next to their field."""

from __future__ import annotations

from django import forms

from coopctg.core.forms import CleanTextMixin
from coopctg.reports.models import LEVEL_CHOICES, AttenduAssessment
from coopctg.reports.workflow import COMMENT_MAX, TEXT_MAX, AssessmentInput, ReportError


def apply_error(form: forms.Form, error: ReportError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class AssessmentForm(CleanTextMixin, forms.Form):
    """``niveau_<pk>`` and ``commentaire_<pk>`` for each assessment, the texts, the revision."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    synthese = forms.CharField(
        label="Synthèse de l'année",
        help_text="Ce qui a marqué l'année, en quelques paragraphes.",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    perspectives = forms.CharField(
        label="Perspectives pour l'année suivante",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, assessments: list[AttenduAssessment], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assessments = assessments
        for assessment in assessments:
            code = assessment.attendu.code
            self.fields[f"niveau_{assessment.pk}"] = forms.ChoiceField(
                label=f"Niveau de l'attendu {code}",
                choices=LEVEL_CHOICES,
                initial=assessment.niveau,
                widget=forms.RadioSelect,
            )
            self.fields[f"commentaire_{assessment.pk}"] = forms.CharField(
                label=f"Commentaire sur l'attendu {code}",
                required=False,
                max_length=COMMENT_MAX,
                initial=assessment.commentaire,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def add_error(self, field: str | None, error: object) -> None:
        """Also link each attendu's level or comment to its error message
        (``aria-describedby``, ``aria-invalid``): the template gives the error that id."""
        super().add_error(field, error)  # type: ignore[arg-type]
        for name in self.errors:
            if name.startswith(("niveau_", "commentaire_")) and name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"
                attrs["aria-invalid"] = "true"

    def to_input(self) -> AssessmentInput:
        data = self.cleaned_data
        return AssessmentInput(
            levels={a.pk: data[f"niveau_{a.pk}"] for a in self.assessments},
            comments={a.pk: data[f"commentaire_{a.pk}"] for a in self.assessments},
            synthese=data["synthese"],
            perspectives=data["perspectives"],
        )


#: The comment's label of each decision form (by prefix): distinct on one page.
DECISION_LABELS = {
    "transmit": "Commentaire pour la Caf (facultatif)",
    "validate": "Commentaire de validation (facultatif)",
    "send_back": "Ce que la collectivité doit compléter (obligatoire)",
}


class DecisionForm(CleanTextMixin, forms.Form):
    """Transmit, send back (comment mandatory, checked by the workflow) or validate; the form's
    prefix (``transmit``, ``send_back``, ``validate``) gives the comment's label."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    commentaire = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commentaire"]
        field.label = DECISION_LABELS.get(self.prefix or "", field.label)
        if self.prefix == "send_back":  # mandatory: the workflow says what is missing
            field.widget.attrs["required"] = True
            field.widget.attrs["aria-required"] = "true"
