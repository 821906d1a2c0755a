"""Forms of the diagnostic: the Caf admin's upload of an open-data file, a local indicator and
one of its values. French messages, next to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from coopctg.core.forms import CleanTextMixin
from coopctg.indicators.importer import MAX_FILE_BYTES, parse_number
from coopctg.indicators.models import THEME_CHOICES, LocalIndicator


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label="Fichier de données ouvertes (.csv ou .json)",
        help_text=(
            "Tel que data.caf.fr le distribue : export CSV (séparateur « ; » ou « , ») ou JSON "
            "de l'API explore. 20 Mo au plus."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )

    def clean_fichier(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["fichier"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".json")):
            raise forms.ValidationError("Le fichier doit être un export .csv ou .json.")
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("Le fichier dépasse la taille maximale de 20 Mo.")
        return upload


class LocalIndicatorForm(CleanTextMixin, forms.ModelForm):
    theme = forms.ChoiceField(label="Thématique", choices=THEME_CHOICES)

    class Meta:
        model = LocalIndicator
        fields = ["libelle", "unite", "theme", "source", "definition"]
        labels = {"definition": "Définition (facultatif)"}
        help_texts = {
            "libelle": "Par exemple « Familles reçues au guichet unique petite enfance ».",
            "unite": "Par exemple « familles », « places », « % ».",
        }
        widgets = {"definition": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, collectivite: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collectivite = collectivite

    def clean_libelle(self) -> str:
        libelle: str = self.cleaned_data["libelle"].strip()
        others = LocalIndicator.objects.filter(collectivite=self.collectivite, libelle=libelle)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("La collectivité a déjà un indicateur de ce libellé.")
        return libelle


class LocalValueForm(CleanTextMixin, forms.Form):
    annee = forms.IntegerField(label="Année", min_value=1990, max_value=2100)
    valeur = forms.CharField(
        label="Valeur",
        max_length=30,
        help_text="Un nombre, virgule ou point décimal (« 12,5 »), six décimales au plus.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_valeur(self) -> tuple[str, Decimal]:
        text = "".join(self.cleaned_data["valeur"].split())  # « 1 234,5 » → « 1234,5 »
        result = parse_number(text)
        if isinstance(result, str):
            raise forms.ValidationError(f"« {text} » : {result}.")
        return result
