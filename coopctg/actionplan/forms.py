"""Forms of the plan d'actions: a fiche action with its indicators, the values of a year, the
import of a workbook. French messages, shown next to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.forms import BaseInlineFormSet, inlineformset_factory

from coopctg.actionplan import workbook
from coopctg.actionplan.models import Action, Indicator
from coopctg.actionplan.rules import STATUS_CHOICES, format_decimal, parse_decimal
from coopctg.actionplan.services import IndicatorInput, current_framework, ordered_objectives
from coopctg.core.formats import format_number
from coopctg.core.forms import CleanTextMixin
from coopctg.core.themes import THEME_CHOICES, Theme
from coopctg.ctg.models import Ctg
from coopctg.framework.models import Objective

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
MAX_INDICATORS = 30
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 Mo


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FrenchDecimalField(forms.Field):
    """A number typed the French way (« 12,5 », « 1 234,5 »); two decimals at most."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        return format_decimal(value) if isinstance(value, Decimal) else value

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_decimal(value)
        except ValueError as error:
            message = str(error)
            raise forms.ValidationError(message[0].upper() + message[1:] + ".") from None


class ObjectiveChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Objective) -> str:
        return f"{obj.code} — {obj.titre}"


class ActionForm(CleanTextMixin, forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label="Thématiques",
        choices=THEME_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    objectifs = ObjectiveChoiceField(
        label="Objectifs du référentiel",
        queryset=Objective.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Les objectifs du référentiel du chargé de coopération que l'action sert.",
    )
    statut = forms.ChoiceField(
        label="Statut",
        choices=STATUS_CHOICES,
        help_text="« En retard » est calculé d'après la date de fin.",
    )
    avancement = forms.IntegerField(
        label="Avancement (%)",
        min_value=0,
        max_value=100,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )

    class Meta:
        model = Action
        fields = [
            "code",
            "titre",
            "description",
            "themes",
            "objectifs",
            "pilote",
            "partenaires",
            "date_debut",
            "date_fin",
            "statut",
            "avancement",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "partenaires": forms.Textarea(attrs={"rows": 2}),
            "date_debut": date_input(),
            "date_fin": date_input(),
        }

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        for name in ("date_debut", "date_fin"):
            self.fields[name].input_formats = DATE_FORMATS
        for name in ("description", "partenaires"):  # what a workbook cell holds well
            self.fields[name].validators.append(MaxLengthValidator(workbook.MAX_TEXT))
        version = current_framework()
        queryset = ordered_objectives().filter(mission__version=version)
        if self.instance.pk:
            # An action keeps the objectives of an older référentiel it already cites.
            queryset = ordered_objectives().filter(
                pk__in=queryset.values("pk").union(self.instance.objectifs.values("pk"))
            )
        self.fields["objectifs"].queryset = queryset
        if version is None:
            self.fields["objectifs"].help_text = "Aucun référentiel n'est chargé."

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not workbook.CODE_PATTERN.fullmatch(code):
            raise forms.ValidationError(
                "Lettres, chiffres, « . », « - » ou « _ » seulement (par ex. A01)."
            )
        others = Action.objects.filter(ctg=self.ctg, code=code).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"La référence {code} est déjà celle d'une autre fiche.")
        return code

    def clean_themes(self) -> list[str]:
        chosen = set(self.cleaned_data["themes"])
        return [theme.value for theme in Theme if theme.value in chosen]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        debut, fin = data.get("date_debut"), data.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", "La date de fin ne peut pas précéder la date de début.")
        return data


class IndicatorForm(CleanTextMixin, forms.ModelForm):
    valeur_reference = FrenchDecimalField(label="Valeur de référence", required=False)
    cible = FrenchDecimalField(label="Cible", required=False)

    class Meta:
        model = Indicator
        fields = ["libelle", "unite", "valeur_reference", "cible"]


class BaseIndicatorFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """Two indicators of a fiche may not share a label: the error goes next to the
        second one (instead of Django's message above the formset)."""
        seen: set[str] = set()
        duplicated = False
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            label = (form.cleaned_data.get("libelle") or "").strip()
            if not label:
                continue
            if label in seen:
                form.add_error("libelle", "Cet indicateur figure déjà dans la fiche.")
                duplicated = True
            seen.add(label)
        if not duplicated:
            super().clean()

    def inputs(self) -> tuple[list[IndicatorInput], list[Indicator]]:
        """(the indicators to keep or create, in order; those to delete)."""
        kept: list[IndicatorInput] = []
        deleted: list[Indicator] = []
        for form in self.forms:
            instance = form.instance if form.instance.pk else None
            if self._should_delete_form(form):
                if instance is not None:
                    deleted.append(instance)
                continue
            if instance is None and not form.has_changed():
                continue
            data = form.cleaned_data
            kept.append(
                IndicatorInput(
                    libelle=data["libelle"].strip(),
                    unite=data.get("unite", "").strip(),
                    valeur_reference=data.get("valeur_reference"),
                    cible=data.get("cible"),
                    instance=instance,
                )
            )
        return kept, deleted


IndicatorFormSet = inlineformset_factory(
    Action,
    Indicator,
    form=IndicatorForm,
    formset=BaseIndicatorFormSet,
    fields=["libelle", "unite", "valeur_reference", "cible"],
    extra=2,
    can_delete=True,
    max_num=MAX_INDICATORS,
    validate_max=True,
)


def indicator_formset(data: Any, action: Action) -> BaseIndicatorFormSet:
    queryset = (
        Indicator.objects.filter(action=action).order_by("position", "id")
        if action.pk
        else Indicator.objects.none()
    )
    return IndicatorFormSet(data, instance=action, queryset=queryset, prefix="indicateurs")


def _reminder(indicator: Indicator, values: dict[int, Decimal], year: int) -> str:
    """« Référence : 40 · 2023 : 52 · cible : 90 »: what helps to type the value."""

    def number(value: Decimal) -> str:
        return format_number(value, 2, trim=True)

    parts = []
    if indicator.valeur_reference is not None:
        parts.append(f"référence : {number(indicator.valeur_reference)}")
    if year - 1 in values:
        parts.append(f"{year - 1} : {number(values[year - 1])}")
    if indicator.cible is not None:
        parts.append(f"cible : {number(indicator.cible)}")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


class IndicatorValuesForm(forms.Form):
    """One field per indicator of the plan: its value for ``year``."""

    def __init__(self, *args: Any, indicators: list[Indicator], year: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.year = year
        for indicator in indicators:
            unit = f" ({indicator.unite})" if indicator.unite else ""
            values = indicator.values_by_year()
            self.fields[self.field_name(indicator)] = FrenchDecimalField(
                label=f"{indicator.libelle}{unit}",
                required=False,
                initial=values.get(year),
                help_text=_reminder(indicator, values, year),
            )

    @staticmethod
    def field_name(indicator: Indicator) -> str:
        return f"valeur_{indicator.pk}"

    def rows(self) -> list[tuple[Indicator, forms.BoundField]]:
        return [(i, self[self.field_name(i)]) for i in self.indicators]

    def changed_values(self) -> dict[int, Decimal | None]:
        """{indicator pk: new value or None} of the fields that changed."""
        return {
            indicator.pk: self.cleaned_data[self.field_name(indicator)]
            for indicator in self.indicators
            if self.cleaned_data[self.field_name(indicator)]
            != indicator.values_by_year().get(self.year)
        }


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label="Classeur du plan d'actions (.xlsx)",
        help_text=(
            "Le classeur exporté depuis cette page, modifié : feuilles « Actions » et "
            "« Indicateurs ». 5 Mo au plus."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_fichier(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["fichier"]
        name = upload.name or ""
        if not name.lower().endswith(".xlsx"):
            raise forms.ValidationError("Le fichier doit être un classeur Excel .xlsx.")
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("Le fichier dépasse la taille maximale de 5 Mo.")
        problem = workbook.xlsx_problem(upload)
        if problem == workbook.NOT_A_WORKBOOK:
            raise forms.ValidationError(
                "Le fichier n'est pas un classeur Excel .xlsx lisible (il a peut-être été "
                "renommé, ou enregistré dans un autre format)."
            )
        if problem is not None:  # too large once unpacked: refused before it is read
            raise forms.ValidationError(problem)
        return upload
