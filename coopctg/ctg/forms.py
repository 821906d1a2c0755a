from django import forms

from coopctg.core.forms import CleanTextMixin
from coopctg.core.themes import REQUIRED_CTG_THEMES, THEME_CHOICES, Theme
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import LocalAuthority


class CtgForm(CleanTextMixin, forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label="Thématiques couvertes",
        choices=THEME_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Au moins la petite enfance, la jeunesse et la parentalité.",
    )
    signataires = forms.ModelMultipleChoiceField(
        label="Collectivités signataires",
        queryset=LocalAuthority.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Ctg
        fields = [
            "intitule",
            "signataires",
            "date_debut",
            "date_fin",
            "date_signature",
            "themes",
            "statut",
        ]
        widgets = {
            "date_debut": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_fin": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_signature": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, collectivites=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signataires"].queryset = collectivites
        for name in ("date_debut", "date_fin", "date_signature"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean_themes(self) -> list[str]:
        themes = self.cleaned_data["themes"]
        missing = [t.label for t in Theme if t in REQUIRED_CTG_THEMES and t.value not in themes]
        if missing:
            raise forms.ValidationError(
                "Une Ctg couvre au moins la petite enfance, la jeunesse et la parentalité ; "
                f"manque : {', '.join(missing)}."
            )
        return [t.value for t in Theme if t.value in themes]

    def clean_signataires(self):
        signataires = self.cleaned_data["signataires"]
        if len({la.caf_id for la in signataires}) > 1:
            raise forms.ValidationError("Les signataires doivent relever de la même Caf.")
        return signataires

    def clean(self):
        cleaned = super().clean()
        debut, fin = cleaned.get("date_debut"), cleaned.get("date_fin")
        if debut and fin and fin <= debut:
            self.add_error("date_fin", "La date de fin doit suivre la date de début.")
        if cleaned.get("statut") == Ctg.Status.SIGNEE and not cleaned.get("date_signature"):
            self.add_error("date_signature", "Une Ctg signée a une date de signature.")
        return cleaned
