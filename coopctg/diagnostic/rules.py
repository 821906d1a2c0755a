"""Rules of mission 2 of the référentiel (pure module: no Django import).

Référentiel, mission 2 « Mettre en adéquation l'offre d'accueil aux besoins des familles » :

- « Suivre les commissions d'admission : garantir la mixité et l'accessibilité des services à
  tous. Ce qui est entendu par garantir : Alerter, contrôler, assurer la transversalité dans le
  cadre de la Ctg, corriger ou faire corriger. » — :func:`assess_commission` computes, from the
  aggregated counts of one commission (never a child or a family), the share of each
  criterion of mixity and accessibility among the admissions, and raises an alert for each
  share under its threshold;
- « Évaluer les demandes et les attentes des familles et les qualifier en besoins » — the
  kinds of need, age groups and sources of the anonymous register, and its synthesis
  (:func:`summarize_needs`);
- « Participer au diagnostic socio-économique du territoire […] faire émerger les enjeux du
  territoire » — :func:`coverage`: the enjeux no action answers, the actions no enjeu grounds;
- « Les indicateurs de suivi et d'évaluation » : « des objectifs de développement de nouveaux
  services, de nouveaux partenariats et de nouvelles prises de compétences à l'échelon de
  l'intercommunalité fixées dans le cadre de la Ctg » — :func:`target_outcome`.

The thresholds are dated parameters (:mod:`coopctg.core.params`), one file each in a Caf's
folder (``coopctg/diagnostic/parametres/caf-37/``):

- ``part_minimale_<critère>.yaml``: the minimum share of the admissions, in percent, for each
  :class:`Criterion`; a criterion without a file, or whose value in force is ``null``, has no
  threshold (its share is shown, no alert is raised);
- ``effectif_minimum.yaml``: the statistical-secrecy rule. No share is computed on fewer
  admissions than this number (the commission is « non évaluable », no alert), and wherever
  the counts are published (annual report, documents, dashboards, API) a count from 1 to
  this number minus one is written « moins de N » (:func:`published_count`);
- ``plafond_quotient_familial.yaml``: the quotient familial under which a family counts as
  « QF bas » (shown next to the count; the counting is done by the services).

How a share is judged: the value in force on the commission's date applies; the share is
``count × 100 / admissions``, compared exactly (no rounding) with the threshold: equal to the
threshold is « conforme », under it is « sous le seuil » and raises an alert. The share is
shown rounded half up to one decimal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from coopctg.core.params import (
    ParameterFileError,
    ParameterNotInForce,
    ParameterSet,
    format_date_fr,
    load_parameters,
)

HUNDRED = Decimal(100)
MINIMUM_COUNT = "effectif_minimum"
QF_CEILING = "plafond_quotient_familial"


class InvalidCounts(ValueError):
    """The counts of a commission are inconsistent; the message is French."""


# --- Criteria of mixity and accessibility ----------------------------------------------------


class Aim(StrEnum):
    MIXITE = "mixite"
    ACCESSIBILITE = "accessibilite"

    @property
    def label(self) -> str:
        return "mixité" if self is Aim.MIXITE else "accessibilité"


class Criterion(StrEnum):
    """What a commission counts among its admissions (aggregated counts only)."""

    QF_BAS = "qf_bas"
    MONOPARENTALES = "monoparentales"
    HANDICAP = "handicap"
    QPV = "qpv"
    INSERTION = "insertion"

    @property
    def label(self) -> str:
        return CRITERION_LABELS[self]

    @property
    def short_label(self) -> str:
        return CRITERION_SHORT_LABELS[self]

    @property
    def aim(self) -> Aim:
        return CRITERION_AIMS[self]

    @property
    def parameter(self) -> str:
        return f"part_minimale_{self.value}"


CRITERION_LABELS: dict[Criterion, str] = {
    Criterion.QF_BAS: "familles dont le quotient familial est sous le seuil de la Caf",
    Criterion.MONOPARENTALES: "familles monoparentales",
    Criterion.HANDICAP: "enfants en situation de handicap (AEEH)",
    Criterion.QPV: "familles résidant en quartier prioritaire de la politique de la ville (QPV)",
    Criterion.INSERTION: "parents en parcours d'insertion sociale ou professionnelle",
}
CRITERION_SHORT_LABELS: dict[Criterion, str] = {
    Criterion.QF_BAS: "QF bas",
    Criterion.MONOPARENTALES: "monoparentales",
    Criterion.HANDICAP: "handicap (AEEH)",
    Criterion.QPV: "QPV",
    Criterion.INSERTION: "parents en insertion",
}
CRITERION_AIMS: dict[Criterion, Aim] = {
    Criterion.QF_BAS: Aim.MIXITE,
    Criterion.MONOPARENTALES: Aim.MIXITE,
    Criterion.QPV: Aim.MIXITE,
    Criterion.HANDICAP: Aim.ACCESSIBILITE,
    Criterion.INSERTION: Aim.ACCESSIBILITE,
}


# --- Parameters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A dated value with its source: a share in percent, a count or an amount."""

    value: Decimal
    since: dt.date
    reference: str


@dataclass(frozen=True)
class CommissionParameters:
    """The dated thresholds of one Caf (see :func:`load_commission_parameters`)."""

    parameters: ParameterSet

    def _at(self, name: str, when: dt.date) -> Threshold | None:
        if name not in self.parameters:
            return None
        try:
            entry = self.parameters[name].entry_at(when)
        except ParameterNotInForce:
            return None
        assert isinstance(entry.value, Decimal) and entry.reference is not None  # load checks
        return Threshold(value=entry.value, since=entry.start, reference=entry.reference)

    def threshold_at(self, criterion: Criterion, when: dt.date) -> Threshold | None:
        """The minimum share (percent) in force on ``when``; None: no threshold."""
        return self._at(criterion.parameter, when)

    def minimum_count_at(self, when: dt.date) -> Threshold:
        """The statistical-secrecy minimum in force on ``when`` (required)."""
        found = self._at(MINIMUM_COUNT, when)
        if found is None:
            raise ParameterNotInForce(
                f"le paramètre « {MINIMUM_COUNT} » n'a pas de valeur en vigueur au "
                f"{format_date_fr(when)}"
            )
        return found

    def qf_ceiling_at(self, when: dt.date) -> Threshold | None:
        return self._at(QF_CEILING, when)


def _check_value(name: str, value: object, where: str) -> None:
    if not isinstance(value, Decimal):
        raise ParameterFileError(f"{where} : un nombre est attendu")
    if name == MINIMUM_COUNT:
        if value != value.to_integral_value() or value < 1:
            raise ParameterFileError(f"{where} : un nombre entier d'au moins 1 est attendu")
    elif name == QF_CEILING:
        if value < 0:
            raise ParameterFileError(f"{where} : un montant positif ou nul est attendu")
    elif not 0 <= value <= HUNDRED:
        raise ParameterFileError(f"{where} : une part de 0 à 100 (en %) est attendue")


def load_commission_parameters(folder: Path | ParameterSet) -> CommissionParameters:
    """Load a Caf's folder and check every dated value at once (French errors). The
    statistical-secrecy minimum is required; a threshold per criterion is optional."""
    parameters = folder if isinstance(folder, ParameterSet) else load_parameters(folder)
    known = {MINIMUM_COUNT, QF_CEILING} | {c.parameter for c in Criterion}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterFileError(
            f"{parameters.folder} : paramètre inconnu « {unknown[0]} » (paramètres : "
            f"{', '.join(sorted(known))})"
        )
    parameters[MINIMUM_COUNT]  # ParameterFileError when missing
    for name in parameters:
        parameter = parameters[name]
        for entry in parameter.values:
            if entry.value is not None:
                _check_value(name, entry.value, f"{parameter.source}, valeur du {entry.start}")
    return CommissionParameters(parameters=parameters)


# --- Assessment of one commission ----------------------------------------------------------------


@dataclass(frozen=True)
class CommissionCounts:
    """The aggregated counts of one commission d'admission."""

    places: int  # places offered
    demandes: int  # applications examined
    admissions: int
    counts: Mapping[Criterion, int]  # among the admissions


def check_counts(counts: CommissionCounts) -> list[tuple[str, str]]:
    """Inconsistencies as ``(field, French message)``: negative numbers, more admissions than
    applications, a criterion counting more families than admitted."""
    problems: list[tuple[str, str]] = []
    for name, value in (
        ("places", counts.places),
        ("demandes", counts.demandes),
        ("admissions", counts.admissions),
    ):
        if value < 0:
            problems.append((name, "Un nombre positif ou nul est attendu."))
    if counts.admissions > counts.demandes >= 0:
        problems.append(
            (
                "admissions",
                f"Plus d'admissions ({counts.admissions}) que de demandes examinées "
                f"({counts.demandes}).",
            )
        )
    for criterion in Criterion:
        value = counts.counts.get(criterion, 0)
        if value < 0:
            problems.append((criterion.value, "Un nombre positif ou nul est attendu."))
        elif value > counts.admissions >= 0:
            problems.append(
                (
                    criterion.value,
                    f"Ce nombre ({value}) dépasse celui des admissions ({counts.admissions}).",
                )
            )
    return problems


class ShareStatus(StrEnum):
    CONFORME = "conforme"
    SOUS_LE_SEUIL = "sous_le_seuil"
    SANS_SEUIL = "sans_seuil"
    NON_EVALUABLE = "non_evaluable"

    @property
    def label(self) -> str:
        return SHARE_STATUS_LABELS[self]


SHARE_STATUS_LABELS: dict[ShareStatus, str] = {
    ShareStatus.CONFORME: "conforme",
    ShareStatus.SOUS_LE_SEUIL: "sous le seuil",
    ShareStatus.SANS_SEUIL: "sans seuil",
    ShareStatus.NON_EVALUABLE: "effectif trop faible",
}


@dataclass(frozen=True)
class Share:
    criterion: Criterion
    count: int
    share: Decimal | None  # percent, one decimal; None when not computed
    threshold: Threshold | None
    status: ShareStatus


@dataclass(frozen=True)
class Alert:
    """A share under its threshold: to follow up (« alerter, contrôler, corriger ou faire
    corriger »). ``criterion`` identifies it within its commission."""

    criterion: Criterion
    share: Decimal
    threshold: Threshold
    message: str


@dataclass(frozen=True)
class Assessment:
    when: dt.date
    admissions: int
    minimum: int  # statistical-secrecy minimum in force
    shares: tuple[Share, ...]  # one per criterion, in the order of :class:`Criterion`
    alerts: tuple[Alert, ...]

    @property
    def evaluable(self) -> bool:
        return self.admissions >= self.minimum

    def share_of(self, criterion: Criterion) -> Share:
        return next(s for s in self.shares if s.criterion is criterion)


def rounded_share(count: int, total: int) -> Decimal:
    """``count`` out of ``total`` in percent, half up to one decimal (``total`` > 0)."""
    return (HUNDRED * count / total).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percent_text(value: Decimal) -> str:
    """``Decimal("12.5")`` → ``"12,5 %"``, ``Decimal("20.0")`` → ``"20 %"``."""
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text}\u00a0%"


def assess_commission(
    counts: CommissionCounts, when: dt.date, parameters: CommissionParameters
) -> Assessment:
    """The share of each criterion among the admissions, judged against the thresholds in
    force on ``when``, and the alerts (see the module's documentation). Raises
    :class:`InvalidCounts` on inconsistent counts, :class:`ParameterError` without a
    statistical-secrecy minimum in force."""
    problems = check_counts(counts)
    if problems:
        raise InvalidCounts(problems[0][1])
    minimum = int(parameters.minimum_count_at(when).value)
    evaluable = counts.admissions >= minimum and counts.admissions > 0
    shares: list[Share] = []
    alerts: list[Alert] = []
    for criterion in Criterion:
        count = counts.counts.get(criterion, 0)
        threshold = parameters.threshold_at(criterion, when)
        if not evaluable:
            shares.append(Share(criterion, count, None, threshold, ShareStatus.NON_EVALUABLE))
            continue
        share = rounded_share(count, counts.admissions)
        if threshold is None:
            status = ShareStatus.SANS_SEUIL
        elif HUNDRED * count < threshold.value * counts.admissions:
            status = ShareStatus.SOUS_LE_SEUIL
            alerts.append(
                Alert(
                    criterion=criterion,
                    share=share,
                    threshold=threshold,
                    message=(
                        f"Part des {criterion.label} parmi les {counts.admissions} admissions : "
                        f"{percent_text(share)}, sous le seuil de {percent_text(threshold.value)}."
                    ),
                )
            )
        else:
            status = ShareStatus.CONFORME
        shares.append(Share(criterion, count, share, threshold, status))
    return Assessment(
        when=when,
        admissions=counts.admissions,
        minimum=minimum,
        shares=tuple(shares),
        alerts=tuple(alerts),
    )


def published_count(count: int, minimum: int) -> str:
    """A count as the published documents write it: ``"0"``, ``"moins de 5"`` from 1 to
    ``minimum`` − 1 (statistical secrecy), else the number."""
    if 0 < count < minimum:
        return f"moins de {minimum}"
    return str(count)


# --- Follow-up of an alert -----------------------------------------------------------------------


class FollowUpStep(StrEnum):
    """« Alerter, contrôler, assurer la transversalité dans le cadre de la Ctg, corriger ou
    faire corriger »."""

    ALERTER = "alerter"
    CONTROLER = "controler"
    TRANSVERSALITE = "transversalite"
    CORRIGER = "corriger"
    FAIRE_CORRIGER = "faire_corriger"

    @property
    def label(self) -> str:
        return FOLLOW_UP_LABELS[self]


FOLLOW_UP_LABELS: dict[FollowUpStep, str] = {
    FollowUpStep.ALERTER: "alerter",
    FollowUpStep.CONTROLER: "contrôler",
    FollowUpStep.TRANSVERSALITE: "assurer la transversalité dans le cadre de la Ctg",
    FollowUpStep.CORRIGER: "corriger",
    FollowUpStep.FAIRE_CORRIGER: "faire corriger",
}


# --- Besoins exprimés par les familles -----------------------------------------------------------


class NeedKind(StrEnum):
    PLACE = "place"
    HORAIRES = "horaires"
    COUT = "cout"
    INFORMATION = "information"
    ACCESSIBILITE = "accessibilite"
    HANDICAP = "handicap"
    MOBILITE = "mobilite"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return NEED_KIND_LABELS[self]


NEED_KIND_LABELS: dict[NeedKind, str] = {
    NeedKind.PLACE: "place",
    NeedKind.HORAIRES: "horaires",
    NeedKind.COUT: "coût",
    NeedKind.INFORMATION: "information",
    NeedKind.ACCESSIBILITE: "accessibilité",
    NeedKind.HANDICAP: "handicap",
    NeedKind.MOBILITE: "mobilité, transport",
    NeedKind.AUTRE: "autre",
}


class AgeGroup(StrEnum):
    MOINS_3 = "0-3"
    DE_3_A_5 = "3-5"
    DE_6_A_11 = "6-11"
    DE_12_A_17 = "12-17"
    DE_18_A_25 = "18-25"
    PARENTS = "parents"
    TOUS = "tous"

    @property
    def label(self) -> str:
        return AGE_GROUP_LABELS[self]


AGE_GROUP_LABELS: dict[AgeGroup, str] = {
    AgeGroup.MOINS_3: "moins de 3 ans",
    AgeGroup.DE_3_A_5: "3 à 5 ans",
    AgeGroup.DE_6_A_11: "6 à 11 ans",
    AgeGroup.DE_12_A_17: "12 à 17 ans",
    AgeGroup.DE_18_A_25: "18 à 25 ans",
    AgeGroup.PARENTS: "parents",
    AgeGroup.TOUS: "tous âges",
}


class Source(StrEnum):
    """Who heard the demand (a service or a partner, never the family's name)."""

    SERVICE = "service"
    PARTENAIRE = "partenaire"
    CAF = "caf"
    PERMANENCE = "permanence"
    ENQUETE = "enquete"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS: dict[Source, str] = {
    Source.SERVICE: "service de la collectivité",
    Source.PARTENAIRE: "partenaire",
    Source.CAF: "Caf",
    Source.PERMANENCE: "permanence, accueil du public",
    Source.ENQUETE: "enquête, atelier, consultation",
    Source.AUTRE: "autre",
}


@dataclass(frozen=True)
class Need:
    """One line of the register, as the synthesis needs it."""

    theme: str
    commune: str
    kind: str
    answered: bool


@dataclass
class NeedCount:
    key: str
    total: int = 0
    answered: int = 0

    @property
    def unanswered(self) -> int:
        return self.total - self.answered


@dataclass
class NeedSummary:
    total: int = 0
    answered: int = 0
    by_theme: list[NeedCount] = field(default_factory=list)
    by_commune: list[NeedCount] = field(default_factory=list)
    by_kind: list[NeedCount] = field(default_factory=list)
    #: (theme, commune) → count: the table « thématique × commune » for the Copil.
    cross: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def unanswered(self) -> int:
        return self.total - self.answered


def _grouped(needs: list[Need], key: str, order: list[str]) -> list[NeedCount]:
    counts: dict[str, NeedCount] = {}
    for need in needs:
        value = getattr(need, key)
        found = counts.setdefault(value, NeedCount(value))
        found.total += 1
        found.answered += int(need.answered)
    rank = {value: i for i, value in enumerate(order)}
    return sorted(counts.values(), key=lambda c: (rank.get(c.key, len(rank)), -c.total, c.key))


def summarize_needs(
    needs: Iterable[Need], theme_order: list[str], kind_order: list[str]
) -> NeedSummary:
    """Counts per theme (in ``theme_order``), per commune (most frequent first), per kind of
    need, and theme × commune; how many were answered."""
    items = list(needs)
    summary = NeedSummary(total=len(items), answered=sum(1 for n in items if n.answered))
    summary.by_theme = _grouped(items, "theme", theme_order)
    summary.by_commune = _grouped(items, "commune", [])
    summary.by_kind = _grouped(items, "kind", kind_order)
    for need in items:
        key = (need.theme, need.commune)
        summary.cross[key] = summary.cross.get(key, 0) + 1
    return summary


# --- Diagnostic: enjeux and actions --------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    enjeux_without_action: tuple[int, ...]
    actions_without_enjeu: tuple[int, ...]


def coverage(links: Mapping[int, Iterable[int]], actions: Iterable[int]) -> Coverage:
    """``links``: enjeu → the actions that answer it; ``actions``: every action of the plan.
    The enjeux with no action, the actions with no enjeu (in the order given)."""
    linked: set[int] = set()
    without: list[int] = []
    for enjeu, answered_by in links.items():
        found = set(answered_by)
        linked |= found
        if not found:
            without.append(enjeu)
    return Coverage(
        enjeux_without_action=tuple(without),
        actions_without_enjeu=tuple(a for a in actions if a not in linked),
    )


# --- Objectifs de développement ------------------------------------------------------------------


class TargetStatus(StrEnum):
    ATTEINT = "atteint"
    EN_COURS = "en_cours"
    NON_ATTEINT = "non_atteint"
    SANS_OBJECTIF = "sans_objectif"

    @property
    def label(self) -> str:
        return TARGET_STATUS_LABELS[self]


TARGET_STATUS_LABELS: dict[TargetStatus, str] = {
    TargetStatus.ATTEINT: "objectif atteint",
    TargetStatus.EN_COURS: "en cours",
    TargetStatus.NON_ATTEINT: "objectif non atteint",
    TargetStatus.SANS_OBJECTIF: "pas d'objectif fixé",
}


@dataclass(frozen=True)
class TargetOutcome:
    target: int | None
    achieved: int
    status: TargetStatus

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def missing(self) -> int:
        return 0 if self.target is None else max(0, self.target - self.achieved)


def target_outcome(target: int | None, achieved: int, ended: bool) -> TargetOutcome:
    """The faits marquants counted against the target: « atteint » once the count reaches
    it (a target of 0 is reached at once); else « en cours » while the Ctg runs, « non
    atteint » once it has ended; « pas d'objectif » without a target."""
    if achieved < 0 or (target is not None and target < 0):
        raise ValueError("un nombre positif ou nul est attendu")
    if target is None:
        status = TargetStatus.SANS_OBJECTIF
    elif achieved >= target:
        status = TargetStatus.ATTEINT
    else:
        status = TargetStatus.NON_ATTEINT if ended else TargetStatus.EN_COURS
    return TargetOutcome(target=target, achieved=achieved, status=status)
