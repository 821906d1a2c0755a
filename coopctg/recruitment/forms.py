"""Forms of a recruitment: the post (with its attendus as a tree of the référentiel), the
invitation of the Caf, the stages, the Caf's opinion and the decision. French messages, shown
next to the fields; the rules themselves live in :mod:`coopctg.recruitment.workflow`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from coopctg.core.forms import CleanTextMixin
from coopctg.ctg.models import Ctg
from coopctg.framework.models import ExpectedOutput, FrameworkVersion, Mission, Objective
from coopctg.funding.forms import SHORT_LABELS, etp_field
from coopctg.funding.models import ENVELOPE_CHOICES, POST_TYPE_CHOICES, FundedPerson
from coopctg.organisations.models import FollowUp, LocalAuthority, StaffMember
from coopctg.recruitment.models import Decision, Opinion, Recruitment, Stage
from coopctg.recruitment.workflow import (
    MAX_POST_ETP,
    PostInput,
    RecruitmentError,
    architecture_label,
)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_workflow_error(form: forms.Form, error: RecruitmentError) -> None:
    """Show a refusal of the workflow next to its field (or above the form)."""
    field = error.field if error.field in form.fields else None
    if error.field == "etp":
        field = form.etp_error_field() if hasattr(form, "etp_error_field") else None
    form.add_error(field, error.message)


# --- The post -------------------------------------------------------------------------------


@dataclass
class AttenduChoice:
    attendu: ExpectedOutput
    checked: bool


@dataclass
class ObjectiveChoices:
    objective: Objective
    attendus: list[AttenduChoice]


@dataclass
class MissionChoices:
    mission: Mission
    checked: bool
    objectives: list[ObjectiveChoices]


class AttenduField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ExpectedOutput) -> str:
        return f"{obj.code} — {obj.texte}"


class RecruitmentForm(CleanTextMixin, forms.Form):
    """The post. ``collectivites``: those the user may open a recruitment for (creation);
    ``recruitment``: the one edited (its collectivité is then fixed)."""

    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        queryset=LocalAuthority.objects.none(),
        empty_label="— Choisir —",
        error_messages={"required": "Choisissez la collectivité qui recrute."},
    )
    ctg = forms.TypedChoiceField(
        label="Ctg",
        coerce=int,
        help_text="La convention territoriale globale dont le poste anime la démarche.",
        error_messages={"required": "Choisissez la Ctg."},
    )
    intitule = forms.CharField(
        label="Intitulé du poste",
        max_length=200,
        help_text="Par exemple : Chargé·e de coopération Ctg petite enfance et parentalité.",
        error_messages={"required": "Indiquez l'intitulé du poste."},
    )
    type_poste = forms.ChoiceField(
        label="Type de poste",
        choices=[("", "— Choisir —"), *POST_TYPE_CHOICES],
        error_messages={"required": "Choisissez le type de poste."},
    )
    personne_financee = forms.TypedChoiceField(
        label="Poste de l'architecture de financement",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Facultatif : le poste financé (architecture de travail ou Cof signée) que "
        "ce recrutement pourvoit.",
    )
    missions = forms.ModelMultipleChoiceField(
        label="Missions entières", queryset=Mission.objects.none(), required=False
    )
    attendus = AttenduField(
        label="Missions et attendus du poste",
        queryset=ExpectedOutput.objects.none(),
        required=False,
        help_text="Cochez une mission pour retenir tous ses attendus, ou choisissez les "
        "attendus un à un.",
    )

    def __init__(
        self,
        *args: Any,
        version: FrameworkVersion | None,
        collectivites: QuerySet[LocalAuthority],
        recruitment: Recruitment | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        self.recruitment = recruitment
        if recruitment is not None:
            del self.fields["collectivite"]
            collectivites = LocalAuthority.objects.filter(pk=recruitment.collectivite_id)
        else:
            self.fields["collectivite"].queryset = collectivites.order_by("nom")
        self.collectivites = list(
            collectivites.order_by("nom").prefetch_related(
                Prefetch("ctgs", queryset=Ctg.objects.order_by("-date_debut", "intitule"))
            )
        )
        if len(self.collectivites) == 1 and recruitment is None:
            self.fields["collectivite"].initial = self.collectivites[0].pk
        self.fields["ctg"].choices = [("", "— Choisir —")] + [
            (la.nom, [(ctg.pk, ctg.intitule) for ctg in la.ctgs.all()])
            for la in self.collectivites
            if la.ctgs.all()
        ]
        # The persons of the working architectures and of the signed Cof versions.
        persons = (
            FundedPerson.objects.filter(
                architecture__collectivite__in=[la.pk for la in self.collectivites]
            )
            .filter(
                Q(architecture__kind="travail")
                | Q(architecture__kind="version", architecture__version__statut="signee")
            )
            .select_related(
                "architecture__ctg", "architecture__collectivite", "architecture__version__cof"
            )
            .order_by(
                "architecture__collectivite__nom",
                "architecture__ctg__intitule",
                "architecture__kind",
                "architecture__date_effet",
                "position",
            )
        )
        groups: dict[str, list[tuple[int, str]]] = {}
        for person in persons:
            architecture = person.architecture
            group = (
                f"{architecture.collectivite.nom} — {architecture.ctg.intitule} — "
                f"{architecture_label(architecture)}"
            )
            label = person.nom + (f" ({person.fonction})" if person.fonction else "")
            groups.setdefault(group, []).append((person.pk, label))
        self.fields["personne_financee"].choices = [("", "— Aucun —"), *groups.items()]
        person_field = self.fields["personne_financee"]
        if (
            recruitment
            and recruitment.personne_financee_libelle
            and not (recruitment.personne_financee_id)
        ):
            person_field.help_text = (
                f"Choisi précédemment : {recruitment.personne_financee_libelle} ; l'architecture "
                "a été enregistrée de nouveau depuis : choisissez le poste pour rétablir le lien."
            )
        elif not groups:
            person_field.help_text = (
                "Aucune architecture de financement n'est encore saisie pour ces collectivités."
            )
        for code, label in ENVELOPE_CHOICES:
            self.fields[f"etp_{code}"] = etp_field(SHORT_LABELS.get(code, label))
        if version is not None:
            self.fields["missions"].queryset = Mission.objects.filter(version=version)
            self.fields["attendus"].queryset = ExpectedOutput.objects.filter(
                objective__mission__version=version
            )
        if recruitment is not None and not self.is_bound:
            self.initial.update(
                {
                    "ctg": recruitment.ctg_id,
                    "intitule": recruitment.intitule,
                    "type_poste": recruitment.type_poste,
                    "personne_financee": recruitment.personne_financee_id,
                    "attendus": [a.pk for a in recruitment.attendus.all()],
                    **{f"etp_{a.enveloppe}": a.etp for a in recruitment.affectations.all()},
                }
            )

    # Rendering helpers ---------------------------------------------------------------------

    def envelope_fields(self) -> list[forms.BoundField]:
        return [self[f"etp_{code}"] for code, _ in ENVELOPE_CHOICES]

    def etp_error_field(self) -> str:
        return f"etp_{ENVELOPE_CHOICES[0][0]}"

    def _selected(self, name: str) -> set[str]:
        value = self[name].value() or []
        return {str(v) for v in value}

    def attendus_tree(self) -> list[MissionChoices]:
        """The référentiel's missions → objectives → attendus, with what is checked."""
        if self.version is None:
            return []
        attendus, missions = self._selected("attendus"), self._selected("missions")
        queryset = (
            Mission.objects.filter(version=self.version)
            .order_by("position", "pk")
            .prefetch_related(
                Prefetch(
                    "objectifs",
                    queryset=Objective.objects.order_by("position", "pk").prefetch_related(
                        Prefetch("attendus", queryset=ExpectedOutput.objects.order_by("position"))
                    ),
                )
            )
        )
        return [
            MissionChoices(
                mission=mission,
                checked=str(mission.pk) in missions,
                objectives=[
                    ObjectiveChoices(
                        objective=objective,
                        attendus=[
                            AttenduChoice(attendu=a, checked=str(a.pk) in attendus)
                            for a in objective.attendus.all()
                        ],
                    )
                    for objective in mission.objectifs.all()
                ],
            )
            for mission in queryset
        ]

    # Validation ----------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        collectivite = (
            self.recruitment.collectivite if self.recruitment else cleaned.get("collectivite")
        )
        ctg_pk = cleaned.get("ctg")
        if collectivite is not None and ctg_pk is not None:
            ctg = Ctg.objects.filter(pk=ctg_pk, signataires=collectivite).first()
            if ctg is None:
                self.add_error("ctg", f"Choisissez une Ctg signée par {collectivite}.")
            else:
                cleaned["ctg"] = ctg
        else:
            cleaned["ctg"] = None
        person_pk = cleaned.get("personne_financee")
        if person_pk is not None:
            person = (
                FundedPerson.objects.select_related("architecture").filter(pk=person_pk).first()
            )
            ctg = cleaned.get("ctg")
            if (
                person is None
                or ctg is None
                or person.architecture.ctg_id != ctg.pk
                or person.architecture.collectivite_id != getattr(collectivite, "pk", None)
            ):
                if ctg is not None:
                    self.add_error(
                        "personne_financee",
                        "Choisissez un poste de l'architecture de financement de la collectivité "
                        "pour cette Ctg.",
                    )
                cleaned["personne_financee"] = None
            else:
                cleaned["personne_financee"] = person
        envelope_names = [f"etp_{code}" for code, _ in ENVELOPE_CHOICES]
        if not any(name in self.errors for name in envelope_names):
            etps = {name: cleaned.get(name) for name in envelope_names if cleaned.get(name)}
            total = sum(etps.values(), Decimal(0))
            if not etps:
                self.add_error(
                    self.etp_error_field(),
                    "Affectez au moins une part d'Etp à l'une des enveloppes thématiques.",
                )
            elif total > MAX_POST_ETP:
                self.add_error(
                    list(etps)[-1],
                    f"Le poste totalise {str(total).replace('.', ',')} Etp : un poste ne peut "
                    "dépasser 1 Etp.",
                )
        chosen = set(cleaned.get("attendus") or [])
        for mission in cleaned.get("missions") or []:
            chosen.update(ExpectedOutput.objects.filter(objective__mission=mission).order_by("pk"))
        if self.version is None:
            self.add_error(
                "attendus",
                "Aucun référentiel n'est chargé : impossible de choisir les attendus du poste.",
            )
        elif not chosen and "attendus" not in self.errors:
            self.add_error(
                "attendus",
                "Choisissez au moins un attendu du référentiel (ou une mission entière).",
            )
        cleaned["attendus_retenus"] = sorted(chosen, key=lambda a: a.pk)
        return cleaned

    def to_post(self) -> PostInput:
        data = self.cleaned_data
        assert self.version is not None
        return PostInput(
            collectivite=self.recruitment.collectivite
            if self.recruitment
            else data["collectivite"],
            ctg=data["ctg"],
            intitule=data["intitule"],
            type_poste=data["type_poste"],
            etp={
                code: data[f"etp_{code}"] for code, _ in ENVELOPE_CHOICES if data.get(f"etp_{code}")
            },
            attendus=data["attendus_retenus"],
            referentiel=self.version,
            personne_financee=data.get("personne_financee"),
        )


# --- The Caf invited to the panel ----------------------------------------------------------


class StaffChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, referents: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.referents = referents

    def label_from_instance(self, obj: StaffMember) -> str:
        label = f"{obj.prenom} {obj.nom} — {obj.intitule}"
        if obj.pk in self.referents:
            label += " — suit la collectivité"
        return label


class InviteForm(forms.Form):
    date_invitation = forms.DateField(
        label="Date de l'invitation",
        input_formats=DATE_FORMATS,
        widget=date_input(),
        error_messages={
            "required": "Indiquez la date de l'invitation.",
            "invalid": "Saisissez une date, par exemple 15/03/2025.",
        },
    )

    def __init__(self, *args: Any, recruitment: Recruitment, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "jury_%s")  # unique ids: several forms on one page
        super().__init__(*args, **kwargs)
        collectivite = recruitment.collectivite
        follow_ups = FollowUp.objects.filter(collectivite=collectivite).order_by("member_id")
        referents = list(dict.fromkeys(f.member_id for f in follow_ups))
        self.fields = {
            "membre": StaffChoiceField(
                label="Membre de l'équipe de la Caf invité au jury",
                queryset=StaffMember.objects.filter(caf_id=collectivite.caf_id).order_by(
                    "nom", "prenom"
                ),
                referents=referents,
                empty_label="— Choisir —",
                help_text=f"Un membre de l'équipe de la {collectivite.caf} ; le ou la "
                "référent·e de la collectivité est proposé·e d'abord.",
                error_messages={"required": "Choisissez le membre de la Caf invité au jury."},
            ),
            **self.fields,
        }
        if not self.is_bound:
            self.initial.setdefault(
                "membre", recruitment.caf_invite_id or (referents[0] if referents else None)
            )
            self.initial.setdefault("date_invitation", timezone.localdate())

    def clean_date_invitation(self) -> dt.date:
        value: dt.date = self.cleaned_data["date_invitation"]
        if value > timezone.localdate():
            raise forms.ValidationError(
                "La date d'invitation ne peut pas être postérieure à aujourd'hui."
            )
        return value


# --- Stages -------------------------------------------------------------------------------


class AdvanceForm(CleanTextMixin, forms.Form):
    """Moving to the next stage; reaching « Avis de la Caf » names the collectivité's choice."""

    candidat_pressenti = forms.CharField(
        label="Candidature retenue par la collectivité",
        max_length=200,
        required=False,
        help_text="Le nom de la personne que la collectivité a choisie : la Caf donne son "
        "avis sur ce choix avant la décision finale.",
    )

    def __init__(self, *args: Any, recruitment: Recruitment, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "etape_%s")  # unique ids: several forms on one page
        super().__init__(*args, **kwargs)
        self.target = recruitment.next_stage
        if self.target == Stage.AVIS_CAF:
            self.fields["candidat_pressenti"].required = True
            self.fields["candidat_pressenti"].error_messages["required"] = (
                "Indiquez la candidature retenue par la collectivité."
            )
            self.initial.setdefault("candidat_pressenti", recruitment.candidat_pressenti)
        else:
            del self.fields["candidat_pressenti"]


class StepBackForm(CleanTextMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "retour_%s")
        super().__init__(*args, **kwargs)

    motif = forms.CharField(
        label="Motif du retour à l'étape précédente",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Indiquez le motif du retour à l'étape précédente."},
    )


# --- The Caf's opinion and the decision ----------------------------------------------------


class OpinionForm(CleanTextMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "avis_%s")
        super().__init__(*args, **kwargs)

    avis = forms.ChoiceField(
        label="Avis de la Caf",
        choices=Opinion.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez l'avis : favorable, réservé ou défavorable."},
    )
    motif = forms.CharField(
        label="Motif de l'avis",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoire : ce qui fonde l'avis de la Caf sur le choix de la collectivité.",
        error_messages={"required": "L'avis de la Caf doit être motivé : indiquez son motif."},
    )


class DecisionForm(CleanTextMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Décision finale",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez la décision."},
    )
    candidat_retenu = forms.CharField(
        label="Nom de la personne retenue",
        max_length=200,
        required=False,
        help_text="Si une candidature est retenue.",
    )
    date_prise_poste = forms.DateField(
        label="Date de prise de poste",
        required=False,
        input_formats=DATE_FORMATS,
        widget=date_input(),
        help_text="Si une candidature est retenue.",
        error_messages={"invalid": "Saisissez une date, par exemple 01/09/2025."},
    )
    commentaire = forms.CharField(
        label="Commentaire",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, recruitment: Recruitment, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "decision_%s")  # unique ids: several forms on one page
        super().__init__(*args, **kwargs)
        if not self.is_bound and recruitment.candidat_pressenti:
            self.initial.setdefault("candidat_retenu", recruitment.candidat_pressenti)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.RETENU:
            if not (cleaned.get("candidat_retenu") or "").strip():
                self.add_error("candidat_retenu", "Indiquez le nom de la personne retenue.")
            if cleaned.get("date_prise_poste") is None and "date_prise_poste" not in self.errors:
                self.add_error("date_prise_poste", "Indiquez la date de prise de poste.")
        return cleaned
