"""The six eligibility conditions of a funded cooperation function (pure module).

Référentiel, « Conditions d'éligibilité au financement » : « Les Etp concernés doivent :
dépendre financièrement d'une collectivité locale signataire d'une Ctg ; être centré sur les
champs de compétences de la Caf, c'est-à-dire ceux inscrits dans la Ctg ; répondre aux attendus
de la mission de « chargé de coopération Ctg », élaborés sur la base de ce référentiel ; avoir
fait l'objet d'un engagement de cofinancement entre la Caf et la collectivité formalisé dans une
convention d'objectifs et de financement (Cof) dédiée au pilotage de la Ctg […] ; participer aux
différents réseaux : thématiques, portant sur la méthodologie de territoire, etc. ; transmettre
un bilan annuel de leur activité. »

Conditions the software can check are computed; the others are declared by the collectivité
until a later part of the software records the proof (job description, Cof). The annual
report is automatic once the collectivité has a Cof (:class:`AnnualReportFact`).
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class ConditionState(StrEnum):
    SATISFIED = "satisfaite"
    NOT_SATISFIED = "non_satisfaite"
    TO_DECLARE = "a_declarer"
    #: The bilan annuel of a Cof, still to transmit before its deadline (nothing to declare).
    TO_TRANSMIT = "a_transmettre"


STATE_LABELS = {
    ConditionState.SATISFIED: "satisfaite",
    ConditionState.NOT_SATISFIED: "non satisfaite",
    ConditionState.TO_DECLARE: "à déclarer",
    ConditionState.TO_TRANSMIT: "à transmettre",
}


@dataclass(frozen=True)
class AnnualReportFact:
    """The bilan annuel that the condition « transmettre un bilan annuel » looks at: the year
    expected (the last one whose deadline has passed, else the latest transmitted, else the
    first year of the Cof), its deadline, and when it was first transmitted (None: not yet)."""

    year: int
    due: dt.date
    transmitted_on: dt.date | None
    overdue: bool = False


@dataclass(frozen=True)
class EligibilityFacts:
    ctg_title: str
    ctg_signed: bool
    ctg_start: dt.date
    ctg_end: dt.date
    effective_date: dt.date
    collectivite_is_signatory: bool
    total_etp_positive: bool
    lines_outside_ctg: int
    declared_attendus: bool
    cof_reference: str
    declared_networks: bool
    declared_annual_report: bool
    #: None while the collectivité has no Cof: the condition falls back to its declaration.
    annual_report: AnnualReportFact | None = None


@dataclass(frozen=True)
class Condition:
    code: str
    text: str  # the référentiel's words
    state: ConditionState
    proof: str  # what proves it, or what is missing

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _declared(flag: bool, yes: str, no: str) -> tuple[ConditionState, str]:
    return (ConditionState.SATISFIED, yes) if flag else (ConditionState.TO_DECLARE, no)


def _annual_report(facts: EligibilityFacts) -> tuple[ConditionState, str]:
    """Automatic once the collectivité has a Cof: the bilan's transmission is recorded."""
    fact = facts.annual_report
    if fact is None:
        return _declared(
            facts.declared_annual_report,
            "bilan annuel d'activité transmis (déclaré)",
            "à déclarer : transmission du bilan annuel d'activité",
        )
    if fact.transmitted_on is not None:
        sent = f"{fact.transmitted_on:%d/%m/%Y}"
        if fact.transmitted_on > fact.due:  # satisfied, but say it was late
            return (
                ConditionState.SATISFIED,
                f"bilan {fact.year} transmis après l'échéance (le {sent}, échéance du "
                f"{fact.due:%d/%m/%Y})",
            )
        return ConditionState.SATISFIED, f"bilan {fact.year} transmis le {sent}"
    if fact.overdue:
        return (
            ConditionState.NOT_SATISFIED,
            f"bilan {fact.year} non transmis : échéance du {fact.due:%d/%m/%Y} dépassée",
        )
    return (
        ConditionState.TO_TRANSMIT,
        f"bilan {fact.year} à transmettre au plus tard le {fact.due:%d/%m/%Y}",
    )


def eligibility_checklist(facts: EligibilityFacts) -> list[Condition]:
    in_force = facts.ctg_signed and facts.ctg_start <= facts.effective_date <= facts.ctg_end
    period = f"du {facts.ctg_start:%d/%m/%Y} au {facts.ctg_end:%d/%m/%Y}"
    if not facts.collectivite_is_signatory:
        employer = (
            ConditionState.NOT_SATISFIED,
            f"la collectivité n'est pas signataire de la Ctg « {facts.ctg_title} »",
        )
    elif not facts.ctg_signed:
        employer = (ConditionState.NOT_SATISFIED, f"la Ctg « {facts.ctg_title} » n'est pas signée")
    elif not in_force:
        employer = (
            ConditionState.NOT_SATISFIED,
            f"la Ctg « {facts.ctg_title} » ({period}) n'est pas en vigueur au "
            f"{facts.effective_date:%d/%m/%Y}",
        )
    else:
        employer = (
            ConditionState.SATISFIED,
            f"signataire de la Ctg « {facts.ctg_title} », en vigueur {period}",
        )
    if not facts.total_etp_positive:
        fields = (ConditionState.NOT_SATISFIED, "aucune affectation saisie")
    elif facts.lines_outside_ctg:
        fields = (
            ConditionState.NOT_SATISFIED,
            f"{facts.lines_outside_ctg} affectation(s) hors des thématiques de la Ctg",
        )
    else:
        fields = (
            ConditionState.SATISFIED,
            "toutes les affectations relèvent des thématiques de la Ctg",
        )
    attendus = _declared(
        facts.declared_attendus,
        "mission déclarée conforme aux attendus du référentiel",
        "à déclarer : la fiche de poste reprend les attendus du référentiel",
    )
    cof = (
        (ConditionState.SATISFIED, f"Cof {facts.cof_reference}")
        if facts.cof_reference.strip()
        else (ConditionState.TO_DECLARE, "à déclarer : référence de la Cof signée")
    )
    networks = _declared(
        facts.declared_networks,
        "participation aux réseaux déclarée",
        "à déclarer : participation aux réseaux thématiques et territoriaux",
    )
    report = _annual_report(facts)
    return [
        Condition(
            "collectivite_signataire",
            "Dépendre financièrement d'une collectivité locale signataire d'une Ctg",
            *employer,
        ),
        Condition(
            "champs_ctg",
            "Être centré sur les champs de compétences de la Caf, c'est-à-dire "
            "ceux inscrits dans la Ctg",
            *fields,
        ),
        Condition(
            "attendus",
            "Répondre aux attendus de la mission de « chargé de coopération "
            "Ctg », élaborés sur la base du référentiel",
            *attendus,
        ),
        Condition(
            "cof",
            "Avoir fait l'objet d'un engagement de cofinancement formalisé dans une "
            "convention d'objectifs et de financement (Cof) dédiée",
            *cof,
        ),
        Condition(
            "reseaux",
            "Participer aux différents réseaux : thématiques, portant sur la "
            "méthodologie de territoire, etc.",
            *networks,
        ),
        Condition("bilan_annuel", "Transmettre un bilan annuel de son activité", *report),
    ]
