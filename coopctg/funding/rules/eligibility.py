"""The six eligibility conditions of a funded cooperation function (pure module).

Référentiel, « Conditions d'éligibilité au financement » : « Les Etp concernés doivent :
dépendre financièrement d'une collectivité locale signataire d'une Ctg ; être centré sur les
champs de compétences de la Caf, c'est-à-dire ceux inscrits dans la Ctg ; répondre aux attendus
de la mission de « chargé de coopération Ctg », élaborés sur la base de ce référentiel ; avoir
fait l'objet d'un engagement de cofinancement entre la Caf et la collectivité formalisé dans une
convention d'objectifs et de financement (Cof) dédiée au pilotage de la Ctg […] ; participer aux
différents réseaux : thématiques, portant sur la méthodologie de territoire, etc. ; transmettre
un bilan annuel de leur activité. »

Every condition is computed from what the software records, on the architecture's effective
date (:func:`eligibility_checklist`):

- « collectivité signataire » : the Ctg, its signatories and its period;
- « champs de la Ctg » : the architecture's assignments (the funding engine's anomalies);
- « attendus » : the référentiel's attendus recorded for the post — the job description of a
  recruitment of the collectivité in the Ctg (the attendus it lists), or the latest bilan annuel
  transmitted under one of its Cofs in the Ctg (the self-assessment of every attendu). Without
  either it is « à établir ». Only then — no record can exist yet, e.g. a post held since before
  CoopCTG with a job description on paper — may the collectivité declare « fiche de poste
  établie hors de CoopCTG »; the proof says it is a declaration, and why;
- « Cof » : a signed Cof of the collectivité within the Ctg, in force on the effective date; a
  project not yet signed, a Cof ended or not yet begun says so. Never declared: the Cof is a
  record of this software;
- « réseaux » : at least N network meetings (kind « réseau ») of the Ctg held in the 12 months
  that end on the effective date (:func:`networks_window`), N being the dated parameter
  ``reseaux_minimum`` in force on that date (:func:`load_eligibility_parameters`). A meeting
  counts once held (dated today or before); a planned one is named but does not count yet.
  Where the Caf sets the dated parameter ``reseaux_adhesions_minimum`` (K), the chargé·e de
  coopération must also take part in at least K distinct networks in those 12 months: the
  networks they are a member of (a membership overlapping the 12 months, recorded in the
  partner directory's networks) and those whose meetings they attended (a réseau instance
  linked to its network); the réseau instances not linked to any network count together as
  one « réseau non précisé ». « Participer aux différents réseaux » thus reads « être membre
  de réseaux (K au moins) et participer à leurs réunions (N au moins) »;
- « bilan annuel » : automatic once the collectivité has a Cof (:class:`AnnualReportFact`),
  declared otherwise.

Why 12 months rather than the calendar year: the condition is judged on the effective date, which
may fall on any day (an avenant from 1 July); the 12 months before it are the participation that
date can show, whatever the day. A Ctg has no meeting before its start, so when it began less
than 12 months before the effective date (the first architecture of a Ctg is dated on its first
day), its first 12 months are the window: « the network meetings of its first year ».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from coopctg.core.params import (
    Parameter,
    ParameterError,
    ParameterFileError,
    ParameterNotInForce,
    ParameterSet,
    format_date_fr,
    load_parameter_file,
)

#: The dated parameter (file ``<name>.yaml`` in the Caf's funding folder).
NETWORKS_MINIMUM = "reseaux_minimum"
#: The dated minimum of distinct networks (optional file: without it, no such minimum).
NETWORKS_COUNT_MINIMUM = "reseaux_adhesions_minimum"
#: The networks of the réseau instances linked to none, counted together as one.
UNNAMED_NETWORK = "réseau non précisé"


class ConditionState(StrEnum):
    SATISFIED = "satisfaite"
    NOT_SATISFIED = "non_satisfaite"
    TO_DECLARE = "a_declarer"
    #: The bilan annuel of a Cof, still to transmit before its deadline (nothing to declare).
    TO_TRANSMIT = "a_transmettre"
    #: No record proves it yet (the attendus: no job description, no bilan transmitted).
    TO_ESTABLISH = "a_etablir"
    #: Cannot be judged: a parameter is missing (the proof says which).
    NOT_EVALUATED = "non_evaluee"


STATE_LABELS = {
    ConditionState.SATISFIED: "satisfaite",
    ConditionState.NOT_SATISFIED: "non satisfaite",
    ConditionState.TO_DECLARE: "à déclarer",
    ConditionState.TO_TRANSMIT: "à transmettre",
    ConditionState.TO_ESTABLISH: "à établir",
    ConditionState.NOT_EVALUATED: "non évaluée",
}


# --- Facts ---------------------------------------------------------------------------------


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
class CofFact:
    """A Cof of the collectivité within the Ctg."""

    number: str
    signed: bool  # signed once (« signée », or « échue »); False: a project
    start: dt.date
    end: dt.date
    signed_on: dt.date | None = None  # the signature of its initial version
    url: str = ""


@dataclass(frozen=True)
class Threshold:
    """A minimum number of network meetings, with the date it took effect and its source."""

    value: int
    since: dt.date
    reference: str


@dataclass(frozen=True)
class MembershipFact:
    """The chargé·e de coopération of the Ctg is a member of ``network`` from ``start`` to
    ``end`` (None: still a member)."""

    network: str
    start: dt.date
    end: dt.date | None = None

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


@dataclass(frozen=True)
class NetworksFacts:
    """The network meetings of the Ctg (every date, held or planned) and the minimum in force
    on the effective date (None: none is; ``unavailable`` says why when it cannot be read).

    ``named``: the meetings among ``meetings`` linked to a network, (date, network name);
    ``memberships``: the Ctg's memberships of networks; ``networks_minimum``: the minimum of
    distinct networks in force (None: no such minimum)."""

    minimum: Threshold | None = None
    meetings: tuple[dt.date, ...] = ()
    url: str = ""
    unavailable: str = ""
    networks_minimum: Threshold | None = None
    named: tuple[tuple[dt.date, str], ...] = ()
    memberships: tuple[MembershipFact, ...] = ()


@dataclass(frozen=True)
class JobDescription:
    """The job description of a recruitment of the collectivité in the Ctg."""

    title: str
    attendus: int  # the attendus of the référentiel it lists
    url: str = ""


@dataclass(frozen=True)
class AssessedReport:
    """The latest bilan annuel transmitted under a Cof of the collectivité in the Ctg."""

    year: int
    attendus: int  # the attendus it self-assesses
    url: str = ""


@dataclass(frozen=True)
class AttendusFacts:
    job_descriptions: tuple[JobDescription, ...] = ()
    report: AssessedReport | None = None
    #: The collectivité's declaration « fiche de poste établie hors de CoopCTG »: read only
    #: while no record exists (:attr:`declarable`).
    declared: bool = False

    @property
    def records(self) -> tuple[JobDescription, ...]:
        return tuple(job for job in self.job_descriptions if job.attendus > 0)

    @property
    def assessed(self) -> AssessedReport | None:
        return self.report if self.report is not None and self.report.attendus > 0 else None

    @property
    def declarable(self) -> bool:
        """No record can exist yet: no job description listing attendus, no bilan transmitted."""
        return not self.records and self.assessed is None


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
    today: dt.date  # a meeting counts once held: dated today or before
    #: Why the assignments could not be computed (funding parameters); empty when they were.
    funding_error: str = ""
    cofs: tuple[CofFact, ...] = ()
    networks: NetworksFacts = field(default_factory=NetworksFacts)
    attendus: AttendusFacts = field(default_factory=AttendusFacts)
    declared_annual_report: bool = False
    #: None while the collectivité has no Cof: the condition falls back to its declaration.
    annual_report: AnnualReportFact | None = None


# --- Conditions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Condition:
    code: str
    text: str  # the référentiel's words
    state: ConditionState
    proof: str  # what proves it, or what is missing
    links: tuple[Link, ...] = ()  # the records that prove it
    #: The state rests on the collectivité's declaration, not on a record.
    declared: bool = False
    #: A declaration is possible: no record can exist yet.
    declarable: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class _Outcome:
    state: ConditionState
    proof: str
    links: tuple[Link, ...] = ()
    declared: bool = False
    declarable: bool = False


def _links(*pairs: tuple[str, str]) -> tuple[Link, ...]:
    return tuple(Link(label, url) for label, url in pairs if url)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _date(value: dt.date) -> str:
    return format_date_fr(value)


def _employer(facts: EligibilityFacts) -> _Outcome:
    period = f"du {_date(facts.ctg_start)} au {_date(facts.ctg_end)}"
    title = facts.ctg_title
    if not facts.collectivite_is_signatory:
        return _Outcome(
            ConditionState.NOT_SATISFIED,
            f"la collectivité n'est pas signataire de la Ctg « {title} »",
        )
    if not facts.ctg_signed:
        return _Outcome(ConditionState.NOT_SATISFIED, f"la Ctg « {title} » n'est pas signée")
    if not facts.ctg_start <= facts.effective_date <= facts.ctg_end:
        return _Outcome(
            ConditionState.NOT_SATISFIED,
            f"la Ctg « {title} » ({period}) n'est pas en vigueur au {_date(facts.effective_date)}",
        )
    return _Outcome(
        ConditionState.SATISFIED, f"signataire de la Ctg « {title} », en vigueur {period}"
    )


def _fields(facts: EligibilityFacts) -> _Outcome:
    if facts.funding_error:
        return _Outcome(
            ConditionState.NOT_EVALUATED, f"affectations non calculées : {facts.funding_error}"
        )
    if not facts.total_etp_positive:
        return _Outcome(ConditionState.NOT_SATISFIED, "aucune affectation saisie")
    if facts.lines_outside_ctg:
        return _Outcome(
            ConditionState.NOT_SATISFIED,
            f"{facts.lines_outside_ctg} affectation(s) hors des thématiques de la Ctg",
        )
    return _Outcome(
        ConditionState.SATISFIED, "toutes les affectations relèvent des thématiques de la Ctg"
    )


def _attendus(facts: AttendusFacts) -> _Outcome:
    """The attendus recorded for the post: job descriptions, else the latest bilan transmitted;
    a declaration only while neither can exist yet."""
    proofs: list[str] = []
    links: list[tuple[str, str]] = []
    for job in facts.records:
        proofs.append(
            f"fiche de poste du recrutement « {job.title} » "
            f"({_plural(job.attendus, 'attendu', 'attendus')})"
        )
        links.append((f"recrutement « {job.title} »", job.url))
    if (report := facts.assessed) is not None:
        proofs.append(
            f"bilan {report.year} transmis : "
            f"{_plural(report.attendus, 'attendu auto-évalué', 'attendus auto-évalués')}"
        )
        links.append((f"bilan {report.year}", report.url))
    if proofs:
        return _Outcome(ConditionState.SATISFIED, " ; ".join(proofs), _links(*links))
    if facts.declared:
        return _Outcome(
            ConditionState.SATISFIED,
            "déclaration de la collectivité : fiche de poste établie hors de CoopCTG, reprenant "
            "les attendus du référentiel (possible tant qu'aucun recrutement ni bilan annuel "
            "transmis ne les enregistre dans CoopCTG)",
            declared=True,
            declarable=True,
        )
    return _Outcome(
        ConditionState.TO_ESTABLISH,
        "aucune fiche de poste (recrutement) ni bilan annuel transmis n'enregistre les attendus "
        "du poste ; pour un poste pourvu avant CoopCTG, la collectivité peut déclarer une fiche "
        "de poste établie hors de CoopCTG",
        declarable=True,
    )


def _cof(facts: EligibilityFacts) -> _Outcome:
    """A signed Cof of the collectivité within the Ctg in force on the effective date."""
    day = facts.effective_date
    cofs = sorted(facts.cofs, key=lambda cof: (cof.start, cof.number))
    for cof in cofs:
        if cof.signed and cof.start <= day <= cof.end:
            signed = f" le {_date(cof.signed_on)}" if cof.signed_on else ""
            return _Outcome(
                ConditionState.SATISFIED,
                f"Cof n° {cof.number} signée{signed}, en vigueur du {_date(cof.start)} au "
                f"{_date(cof.end)}",
                _links((f"Cof n° {cof.number}", cof.url)),
            )
    reasons: list[str] = []
    for cof in cofs:
        if not cof.signed:
            reasons.append(f"la Cof n° {cof.number} est un projet, pas encore signée")
        elif cof.end < day:
            reasons.append(f"la Cof n° {cof.number} a pris fin le {_date(cof.end)}")
        else:
            reasons.append(f"la Cof n° {cof.number} n'entre en vigueur que le {_date(cof.start)}")
    if not reasons:
        reasons.append("aucune Cof n'est enregistrée pour la collectivité dans cette Ctg")
    return _Outcome(
        ConditionState.NOT_SATISFIED,
        f"aucune Cof signée en vigueur au {_date(day)} : {' ; '.join(reasons)}",
        _links(*((f"Cof n° {cof.number}", cof.url) for cof in cofs)),
    )


def _one_year_before(day: dt.date) -> dt.date:
    """The same day one year earlier (29 February → 28 February)."""
    if (day.month, day.day) == (2, 29):
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _one_year_after(day: dt.date) -> dt.date:
    """The same day one year later (29 February → 1st March)."""
    if (day.month, day.day) == (2, 29):
        return dt.date(day.year + 1, 3, 1)
    return day.replace(year=day.year + 1)


def networks_window(effective: dt.date, ctg_start: dt.date) -> tuple[dt.date, dt.date, bool]:
    """The 12 months whose network meetings count: from the day after the same date one year
    earlier to the effective date, both included. When the Ctg began after that first day (it
    has no meeting before its start), its first 12 months instead. The flag says which."""
    first = _one_year_before(effective) + dt.timedelta(days=1)
    if first >= ctg_start:
        return first, effective, False
    return ctg_start, _one_year_after(ctg_start) - dt.timedelta(days=1), True


def _networks(facts: EligibilityFacts) -> _Outcome:
    networks = facts.networks
    day = facts.effective_date
    links = _links(("instances de la Ctg", networks.url))
    if networks.minimum is None:
        why = networks.unavailable or (
            f"aucun nombre minimum de réunions de réseau n'est en vigueur au {_date(day)}"
        )
        return _Outcome(ConditionState.NOT_EVALUATED, why, links)
    start, end, first_year = networks_window(day, facts.ctg_start)
    inside = sorted(d for d in networks.meetings if start <= d <= end)
    held = [d for d in inside if d <= facts.today]
    planned = [d for d in inside if d > facts.today]
    which = (
        "les 12 premiers mois de la Ctg" if first_year else "les 12 mois jusqu'à la date d'effet"
    )
    span = f"du {_date(start)} au {_date(end)} ({which})"
    minimum = networks.minimum.value
    if not held:
        tally = "aucune réunion de réseau tenue"
    elif len(held) == 1:
        tally = f"1 réunion de réseau tenue, le {_date(held[0])}"
    else:
        tally = f"{len(held)} réunions de réseau tenues, la dernière le {_date(held[-1])}"
    count_ok, count_text = _networks_count(networks, start, end, held)
    if len(held) >= minimum and count_ok:
        return _Outcome(
            ConditionState.SATISFIED,
            f"{span} : {tally} (minimum : {minimum}){count_text}",
            links,
        )
    if len(held) >= minimum:
        proof = f"{span} : {tally} (minimum : {minimum}){count_text}"
    else:
        missing = _plural(minimum - len(held), "manquante", "manquantes")
        proof = f"{span} : {tally}, pour un minimum de {minimum} ({missing}){count_text}"
    if planned:
        proof += (
            f" ; {_plural(len(planned), 'prévue', 'prévues')}, la prochaine le "
            f"{_date(planned[0])} (compte une fois tenue)"
        )
    return _Outcome(ConditionState.NOT_SATISFIED, proof, links)


def _networks_count(
    networks: NetworksFacts, start: dt.date, end: dt.date, held: list[dt.date]
) -> tuple[bool, str]:
    """Whether the Ctg took part in enough distinct networks over the 12 months, and the text
    that says which (empty without a minimum of networks)."""
    threshold = networks.networks_minimum
    if threshold is None:
        return True, ""
    tallies: dict[str, list[int]] = {}  # name → [member, meetings held]
    for membership in networks.memberships:
        if membership.overlaps(start, end):
            tallies.setdefault(membership.network, [0, 0])[0] = 1
    held_set = set(held)
    named_held = [name for day, name in networks.named if day in held_set]
    for name in named_held:
        tallies.setdefault(name, [0, 0])[1] += 1
    unnamed = len(held) - len(named_held)
    if unnamed > 0:
        tallies.setdefault(UNNAMED_NETWORK, [0, 0])[1] += unnamed
    parts = []
    for name in sorted(tallies, key=lambda n: (n == UNNAMED_NETWORK, n)):
        member, count = tallies[name]
        details = (["membre"] if member else []) + (
            [_plural(count, "réunion", "réunions")] if count else []
        )
        parts.append(f"{name} ({', '.join(details)})")
    found = len(tallies)
    wanted = threshold.value
    listed = (
        f"{_plural(found, 'réseau', 'réseaux')} : {', '.join(parts)}" if parts else ("aucun réseau")
    )
    if found >= wanted:
        return True, f" ; {listed} (minimum : {_plural(wanted, 'réseau', 'réseaux')})"
    missing = _plural(wanted - found, "manquant", "manquants")
    return False, (
        f" ; {listed}, pour un minimum de {_plural(wanted, 'réseau', 'réseaux')} ({missing})"
    )


def _annual_report(facts: EligibilityFacts) -> _Outcome:
    """Automatic once the collectivité has a Cof: the bilan's transmission is recorded."""
    fact = facts.annual_report
    if fact is None:
        if facts.declared_annual_report:
            return _Outcome(
                ConditionState.SATISFIED,
                "bilan annuel d'activité transmis (déclaré : la collectivité n'a pas encore de "
                "Cof dans CoopCTG)",
                declared=True,
                declarable=True,
            )
        return _Outcome(
            ConditionState.TO_DECLARE,
            "à déclarer : transmission du bilan annuel d'activité",
            declarable=True,
        )
    if fact.transmitted_on is not None:
        sent = _date(fact.transmitted_on)
        if fact.transmitted_on > fact.due:  # satisfied, but say it was late
            return _Outcome(
                ConditionState.SATISFIED,
                f"bilan {fact.year} transmis après l'échéance (le {sent}, échéance du "
                f"{_date(fact.due)})",
            )
        return _Outcome(ConditionState.SATISFIED, f"bilan {fact.year} transmis le {sent}")
    if fact.overdue:
        return _Outcome(
            ConditionState.NOT_SATISFIED,
            f"bilan {fact.year} non transmis : échéance du {_date(fact.due)} dépassée",
        )
    return _Outcome(
        ConditionState.TO_TRANSMIT,
        f"bilan {fact.year} à transmettre au plus tard le {_date(fact.due)}",
    )


#: The conditions in the référentiel's order: (code, the référentiel's words).
CONDITIONS: tuple[tuple[str, str], ...] = (
    (
        "collectivite_signataire",
        "Dépendre financièrement d'une collectivité locale signataire d'une Ctg",
    ),
    (
        "champs_ctg",
        "Être centré sur les champs de compétences de la Caf, c'est-à-dire ceux inscrits dans la "
        "Ctg",
    ),
    (
        "attendus",
        "Répondre aux attendus de la mission de « chargé de coopération Ctg », élaborés sur la "
        "base du référentiel",
    ),
    (
        "cof",
        "Avoir fait l'objet d'un engagement de cofinancement formalisé dans une convention "
        "d'objectifs et de financement (Cof) dédiée",
    ),
    (
        "reseaux",
        "Participer aux différents réseaux : thématiques, portant sur la méthodologie de "
        "territoire, etc.",
    ),
    ("bilan_annuel", "Transmettre un bilan annuel de son activité"),
)


def eligibility_checklist(facts: EligibilityFacts) -> list[Condition]:
    outcomes = {
        "collectivite_signataire": _employer(facts),
        "champs_ctg": _fields(facts),
        "attendus": _attendus(facts.attendus),
        "cof": _cof(facts),
        "reseaux": _networks(facts),
        "bilan_annuel": _annual_report(facts),
    }
    return [
        Condition(
            code=code,
            text=text,
            state=outcomes[code].state,
            proof=outcomes[code].proof,
            links=outcomes[code].links,
            declared=outcomes[code].declared,
            declarable=outcomes[code].declarable,
        )
        for code, text in CONDITIONS
    ]


# --- Parameters ----------------------------------------------------------------------------


def _count(value: object, where: str) -> int:
    if not (isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0):
        raise ParameterError(f"{where} : un nombre entier positif ou nul est attendu")
    return int(value)


@dataclass(frozen=True)
class EligibilityParameters:
    """The dated parameters of the eligibility conditions of one Caf."""

    networks_minimum: Parameter
    #: The minimum of distinct networks; None when the Caf has no such file.
    networks_count_minimum: Parameter | None = None

    def networks_minimum_at(self, when: dt.date) -> Threshold | None:
        """The minimum in force on ``when``; None when none is (before the first value, or
        after a ``null`` that ended the rule)."""
        return _threshold_at(self.networks_minimum, when)

    def networks_count_minimum_at(self, when: dt.date) -> Threshold | None:
        """The minimum of distinct networks in force on ``when`` (None: none)."""
        if self.networks_count_minimum is None:
            return None
        return _threshold_at(self.networks_count_minimum, when)


def _threshold_at(parameter: Parameter, when: dt.date) -> Threshold | None:
    try:
        entry = parameter.entry_at(when)
    except ParameterNotInForce:
        return None
    assert entry.value is not None and entry.reference is not None  # checked at load
    return Threshold(
        value=_count(entry.value, parameter.name),
        since=entry.start,
        reference=entry.reference,
    )


def load_eligibility_parameters(folder: Path | ParameterSet) -> EligibilityParameters:
    """Read ``reseaux_minimum.yaml`` (and ``reseaux_adhesions_minimum.yaml`` when the Caf has
    one) from a Caf's funding folder, or take them from its resolved parameters, and check every
    dated value (a whole number, 0 or more). Raises :class:`ParameterFileError` (French
    message)."""
    if isinstance(folder, ParameterSet):
        parameter = _checked(folder[NETWORKS_MINIMUM])  # ParameterFileError when missing
        count = (
            _checked(folder[NETWORKS_COUNT_MINIMUM]) if NETWORKS_COUNT_MINIMUM in folder else None
        )
    else:
        parameter = _checked(
            load_parameter_file(folder / f"{NETWORKS_MINIMUM}.yaml", NETWORKS_MINIMUM)
        )
        count_path = folder / f"{NETWORKS_COUNT_MINIMUM}.yaml"
        count = (
            _checked(load_parameter_file(count_path, NETWORKS_COUNT_MINIMUM))
            if count_path.exists()
            else None
        )
    return EligibilityParameters(networks_minimum=parameter, networks_count_minimum=count)


def _checked(parameter: Parameter) -> Parameter:
    for entry in parameter.values:
        if entry.value is not None:
            try:
                _count(entry.value, f"{parameter.source}, valeur du {entry.start}")
            except ParameterError as error:
                raise ParameterFileError(str(error)) from None
    return parameter
