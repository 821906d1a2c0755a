"""Forms of the funding architecture: the base, then one row per person × 4 envelopes."""

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from coopctg.core.forms import CleanTextMixin
from coopctg.funding.models import ENVELOPE_CHOICES, POST_TYPE_CHOICES, FundingArchitecture
from coopctg.funding.services import PersonRow, objective_sort_key

ETP_MAX = Decimal("9.99")
SHORT_LABELS = {"avs_logement_acces_droits": "AVS, logement, accès aux droits"}


class GroupedDecimalField(forms.DecimalField):
    """A localized DecimalField that also accepts digits grouped by spaces, as French users
    type them (« 48 000 », « 48 000,50 »): Django strips groups only when it prints them."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")  # spaces, NBSP, narrow NBSP
        return super().to_python(value)


def etp_field(label: str, required: bool = False) -> forms.DecimalField:
    return GroupedDecimalField(
        label=label,
        required=required,
        max_digits=4,
        decimal_places=2,
        localize=True,
        validators=[
            MinValueValidator(Decimal("0.01"), "Saisissez un nombre d'Etp positif."),
            MaxValueValidator(ETP_MAX),
        ],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5, "autocomplete": "off"}),
        error_messages={
            "invalid": "Saisissez un nombre d'Etp, par exemple 0,4.",
            "max_decimal_places": "Au plus 2 décimales (0,01 Etp).",
        },
    )


class ArchitectureForm(forms.ModelForm):
    base_cej_montant = GroupedDecimalField(
        label="Ancien financement Cej redéployé (€)",
        required=False,
        max_digits=12,
        decimal_places=2,
        localize=True,
        min_value=Decimal(0),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="Laisser vide s'il n'y a pas d'ancien financement Cej à redéployer.",
        error_messages={
            "invalid": "Saisissez un montant en euros, par exemple 48 000.",
            "max_decimal_places": "Au plus 2 décimales (au centime).",
        },
    )
    base_cej_etp = etp_field("Etp financés par le Cej")

    class Meta:
        model = FundingArchitecture
        fields = ["date_effet", "base_cej_montant", "base_cej_etp"]
        widgets = {"date_effet": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_effet"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        montant, etp = cleaned.get("base_cej_montant"), cleaned.get("base_cej_etp")
        if (montant is None) != (etp is None) and not self.errors:
            field = "base_cej_etp" if etp is None else "base_cej_montant"
            self.add_error(field, "Indiquez à la fois le montant et les Etp de la base Cej.")
        return cleaned


def objective_choices_() -> list[tuple[str, list[tuple[str, str]]]]:
    """The missions a post may be given: the newest référentiel's objectives, by mission."""
    from coopctg.framework.loader import versions_newest_first
    from coopctg.framework.models import Objective

    version = versions_newest_first().first()
    if version is None:
        return []
    groups: dict[str, list[tuple[str, str]]] = {}
    for objective in (
        Objective.objects.filter(mission__version=version)
        .select_related("mission")
        .order_by("mission__position", "position")
    ):
        mission = f"{objective.mission.code} — {objective.mission.titre}"
        groups.setdefault(mission, []).append(
            (objective.code, f"{objective.code} — {objective.titre}")
        )
    return list(groups.items())


class PersonForm(CleanTextMixin, forms.Form):
    nom = forms.CharField(label="Nom", max_length=150, required=False)
    fonction = forms.CharField(label="Fonction", max_length=200, required=False)
    employeur = forms.CharField(label="Employeur", max_length=200, required=False)
    type_poste = forms.ChoiceField(
        label="Type de poste", choices=[("", "—"), *POST_TYPE_CHOICES], required=False
    )

    objectifs = forms.MultipleChoiceField(
        label="Missions du poste (objectifs du référentiel)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tout changement d'affectation de mission passe par un avenant.",
        error_messages={"invalid_choice": "Choisissez des objectifs du référentiel."},
    )

    def __init__(
        self,
        *args: Any,
        objective_choices: list[tuple[str, list[tuple[str, str]]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for code, label in ENVELOPE_CHOICES:
            self.fields[f"etp_{code}"] = etp_field(SHORT_LABELS.get(code, label))
        choices = objective_choices if objective_choices is not None else objective_choices_()
        self.fields["objectifs"].choices = choices
        # an objective of an older référentiel, already assigned, stays possible
        known = {code for _, items in choices for code, _ in items}
        extra = [
            (code, code) for code in (self.initial.get("objectifs") or []) if code not in known
        ]
        if extra:
            self.fields["objectifs"].choices = [*choices, ("Autres", extra)]

    def envelope_fields(self) -> list[forms.BoundField]:
        return [self[f"etp_{code}"] for code, _ in ENVELOPE_CHOICES]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(
            data.get(name) not in (None, "", []) for name in self.fields if name != "DELETE"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.is_blank() or cleaned.get("DELETE"):
            return cleaned
        if not cleaned.get("nom"):
            self.add_error("nom", "Indiquez le nom de la personne.")
        if not cleaned.get("type_poste"):
            self.add_error("type_poste", "Choisissez le type de poste.")
        if not any(cleaned.get(f"etp_{code}") for code, _ in ENVELOPE_CHOICES) and not any(
            f"etp_{code}" in self.errors for code, _ in ENVELOPE_CHOICES
        ):
            self.add_error(
                f"etp_{ENVELOPE_CHOICES[0][0]}",
                "Affectez au moins une part d'Etp à l'une des enveloppes.",
            )
        return cleaned

    def to_row(self) -> PersonRow:
        data = self.cleaned_data
        return PersonRow(
            nom=data["nom"].strip(),
            fonction=data.get("fonction", "").strip(),
            employeur=data.get("employeur", "").strip(),
            type_poste=data["type_poste"],
            etp={
                code: data[f"etp_{code}"] for code, _ in ENVELOPE_CHOICES if data.get(f"etp_{code}")
            },
            objectifs=tuple(sorted(set(data.get("objectifs") or []), key=objective_sort_key)),
        )


class BasePersonFormSet(forms.BaseFormSet):
    _objective_choices: list[tuple[str, list[tuple[str, str]]]] | None = None

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if self._objective_choices is None:  # one query for the whole formset
            self._objective_choices = objective_choices_()
        return {**kwargs, "objective_choices": self._objective_choices}

    def rows(self) -> list[PersonRow]:
        return [
            f.to_row() for f in self.forms if not f.is_blank() and not f.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError("Ajoutez au moins une personne financée.")


PersonFormSet = forms.formset_factory(
    PersonForm,
    formset=BasePersonFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


def initial_persons(rows: list[PersonRow]) -> list[dict[str, Any]]:
    return [
        {
            "nom": r.nom,
            "fonction": r.fonction,
            "employeur": r.employeur,
            "type_poste": r.type_poste,
            **{f"etp_{code}": etp for code, etp in r.etp.items()},
            "objectifs": list(r.objectifs),
        }
        for r in rows
    ]


class DeclarationsForm(CleanTextMixin, forms.ModelForm):
    """The declarations the collectivité may still make: only where no record can exist
    (``declarable``, the field names given by
    :func:`coopctg.funding.eligibility.declarable_fields`). The attendus: a job description
    established outside CoopCTG, while no recruitment nor bilan transmitted records them; the
    bilan annuel: while the collectivité has no Cof. A field not offered is neither shown nor
    saved. The Cof and the networks are never declared: they are computed from the records."""

    class Meta:
        model = FundingArchitecture
        fields = ["declaration_attendus", "declaration_bilan"]
        labels = {
            "declaration_attendus": (
                "Une fiche de poste établie hors de CoopCTG reprend les attendus du référentiel"
            ),
            "declaration_bilan": "Le bilan annuel d'activité a été transmis à la Caf",
        }
        help_texts = {
            "declaration_attendus": (
                "Déclaration possible tant qu'aucun recrutement de CoopCTG ni aucun bilan annuel "
                "transmis n'enregistre les attendus du poste (poste pourvu avant CoopCTG, fiche "
                "de poste sur papier)."
            ),
            "declaration_bilan": (
                "Déclaration possible tant que la collectivité n'a pas de Cof dans CoopCTG : "
                "ensuite, la condition se lit dans ses bilans."
            ),
        }

    def __init__(self, *args: Any, declarable: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in declarable:
                del self.fields[name]
