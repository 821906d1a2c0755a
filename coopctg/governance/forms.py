"""Forms of the instances and faits marquants of a Ctg (French messages, next to the fields)."""

import re

from django import forms

from coopctg.core.formats import format_date
from coopctg.core.forms import CleanTextMixin
from coopctg.ctg.models import Ctg
from coopctg.governance.files import MAX_BYTES, MinutesRejected, check_minutes, format_size
from coopctg.governance.models import Highlight, Meeting
from coopctg.governance.services import DecisionLine
from coopctg.organisations.models import StaffMember

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]
MAX_PARTICIPANTS = 100
MAX_DECISIONS = 100

#: ``Ouvrir un second Relais petite enfance [action : 2.3]``: the bracket names the fiche action.
_ACTION_SUFFIX = re.compile(r"\s*\[\s*action\s*:\s*([^\]]*?)\s*\]\s*$", re.IGNORECASE)


def split_lines(text: str) -> list[str]:
    """Non-empty lines, stripped, in order."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_decision(line: str) -> DecisionLine:
    match = _ACTION_SUFFIX.search(line)
    if match is None:
        return DecisionLine(texte=line)
    return DecisionLine(texte=line[: match.start()].strip(), action_ref=match.group(1))


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_in_ctg(form: forms.Form, ctg: Ctg, field: str, what: str) -> None:
    value = form.cleaned_data.get(field)
    if value and not ctg.date_debut <= value <= ctg.date_fin:
        form.add_error(
            field,
            f"{what} doit être dans la période de la Ctg, du {format_date(ctg.date_debut)} au "
            f"{format_date(ctg.date_fin)}.",
        )


class MeetingForm(CleanTextMixin, forms.ModelForm):
    participants_caf = forms.ModelMultipleChoiceField(
        label="Participants de la Caf",
        queryset=StaffMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    participants_text = forms.CharField(
        label="Autres participants",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Un participant par ligne (nom, fonction, structure).",
    )
    decisions_text = forms.CharField(
        label="Décisions",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=(
            "Une décision par ligne. Pour la rattacher à une fiche action du plan d'actions, "
            "terminez la ligne par [action : référence], par ex. « Ouvrir un LAEP [action : 2.3] »."
        ),
    )
    minutes = forms.FileField(
        label="Compte rendu",
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.docx,.odt"}),
        help_text=f"PDF, DOCX ou ODT, {format_size(MAX_BYTES)} au plus.",
    )
    remove_minutes = forms.BooleanField(
        label="Supprimer le compte rendu enregistré", required=False
    )

    class Meta:
        model = Meeting
        fields = ["kind", "date", "heure", "heure_fin", "lieu", "objet", "ordre_du_jour"]
        widgets = {
            "date": date_input(),
            "heure": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "heure_fin": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ordre_du_jour": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, ctg: Ctg, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        self.fields["date"].input_formats = DATE_FORMATS
        for name in ("heure", "heure_fin"):
            self.fields[name].input_formats = TIME_FORMATS
        self.fields["participants_caf"].queryset = StaffMember.objects.filter(
            caf_id=ctg.caf_id
        ).order_by("nom", "prenom")
        self.fields["participants_caf"].help_text = f"L'équipe de la {ctg.caf.nom}."
        if self.instance.pk:
            self.initial.setdefault("participants_caf", list(self.instance.participants_caf.all()))
            self.initial.setdefault("participants_text", "\n".join(self.instance.participants))
            self.initial.setdefault(
                "decisions_text", "\n".join(d.as_line() for d in self.instance.decisions.all())
            )
        if not self.instance.compte_rendu:
            del self.fields["remove_minutes"]

    def clean_participants_text(self) -> list[str]:
        lines = split_lines(self.cleaned_data["participants_text"])
        if len(lines) > MAX_PARTICIPANTS:
            raise forms.ValidationError(f"Au plus {MAX_PARTICIPANTS} participants.")
        if any(len(line) > 200 for line in lines):
            raise forms.ValidationError("Une ligne dépasse 200 caractères.")
        return lines

    def clean_decisions_text(self) -> list[DecisionLine]:
        lines = split_lines(self.cleaned_data["decisions_text"])
        if len(lines) > MAX_DECISIONS:
            raise forms.ValidationError(f"Au plus {MAX_DECISIONS} décisions.")
        decisions = [parse_decision(line) for line in lines]
        for number, decision in enumerate(decisions, start=1):
            if not decision.texte:
                raise forms.ValidationError(f"La décision n°{number} n'a pas de texte.")
            if len(decision.texte) > 1000 or len(decision.action_ref) > 200:
                raise forms.ValidationError(f"La décision n°{number} est trop longue.")
        return decisions

    def clean_minutes(self):
        upload = self.cleaned_data.get("minutes")
        if not upload:
            return None
        try:
            check_minutes(upload.name or "", upload.size or 0, upload)
        except MinutesRejected as error:
            raise forms.ValidationError(str(error)) from None
        return upload

    def clean(self):
        cleaned = super().clean()
        _check_in_ctg(self, self.ctg, "date", "La date de l'instance")
        start, end = cleaned.get("heure"), cleaned.get("heure_fin")
        if end and not start:
            self.add_error("heure", "Indiquez l'heure de début (une heure de fin est saisie).")
        elif start and end and end <= start:
            self.add_error("heure_fin", "L'heure de fin doit suivre l'heure de début.")
        if cleaned.get("minutes") and cleaned.get("remove_minutes"):
            self.add_error(
                "remove_minutes", "Choisissez : remplacer le compte rendu ou le supprimer."
            )
        return cleaned


class HighlightForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Highlight
        fields = ["kind", "date", "theme", "intitule", "description"]
        widgets = {"date": date_input(), "description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, ctg: Ctg, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        self.fields["date"].input_formats = DATE_FORMATS
        self.fields["kind"].help_text = (
            "Le référentiel évalue la fonction de coopération au regard des nouveaux services, "
            "des nouveaux partenariats et des nouvelles prises de compétences à l'échelon de "
            "l'intercommunalité."
        )

    def clean(self):
        cleaned = super().clean()
        _check_in_ctg(self, self.ctg, "date", "La date du fait marquant")
        return cleaned
