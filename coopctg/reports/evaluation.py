"""The évaluation de fin de Ctg: what the function of coopération produced over all the years
of a Ctg, for its elected officials and the Caf (page and PDF).

:func:`ctg_evaluation` gathers, in a fixed number of queries whatever the number of years:

- the attainment of each attendu of the référentiel, year by year, from the bilans annuels of
  the collectivité's Cofs within the Ctg that are no longer drafts (a « brouillon » is listed,
  not counted). The référentiel evaluates the function « à l'échelon de l'Epci ou de la
  commune » (« Les indicateurs de suivi et d'évaluation »): when several collectivités sign
  one Ctg, each has its own evaluation (:func:`ctg_evaluation`'s ``collectivite``), never a
  merge of theirs. Two Cofs of the same collectivité covering one year (one after the other)
  give that year the better level of their two reports
  (:func:`coopctg.reports.evaluation_rules.best_level`); a year whose reports are not all
  validated is marked as such;
- per mission and year, how many attendus stand at each level
  (:func:`coopctg.reports.rules.attainment`);
- the faits marquants, by kind (new services, partnerships, competences) then year;
- the plan's indicators: baseline → value per year → final value against the target;
- the governance record: each Copil year and Cotech semester, compliant or not
  (:func:`coopctg.governance.services.status_for`), and the other instances held;
- the funding due under each Cof for each year (signed versions prorated by day, as the Caf's
  budget: :mod:`coopctg.agreements.annual`) and the Etp funded;
- the objectifs de développement of the collectivité evaluated (of each signatory when none
  is chosen, each on its own), their history, against the faits marquants counted for it
  (:func:`coopctg.diagnostic.targets.development_outcomes`): per collectivité, never the best
  level across collectivités.

Only the Cofs passed (those the reader may see) are counted. The plan d'actions (its
indicators), the instances and the faits marquants belong to the Ctg: they are the same in the
evaluation of each of its collectivités.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from coopctg.actionplan.models import Indicator
from coopctg.actionplan.services import ctg_indicators
from coopctg.agreements.annual import version_periods
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.formats import format_number
from coopctg.core.pdf import html_to_pdf
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.rules import TargetStatus
from coopctg.diagnostic.targets import CollectiviteOutcomes, development_outcomes
from coopctg.framework.loader import versions_newest_first
from coopctg.framework.models import ExpectedOutput, FrameworkVersion, Mission, Objective
from coopctg.funding.rules.annual import annual_funding
from coopctg.governance.models import Highlight, Meeting
from coopctg.governance.rules import MeetingKind, PeriodCompliance, Status
from coopctg.governance.services import GovernanceStatus, status_for
from coopctg.participation.facts import PopulationYear, population_years
from coopctg.reports.evaluation_rules import (
    TREND_LABELS,
    IndicatorOutcome,
    Trend,
    best_level,
    evaluation_years,
    indicator_outcome,
    trend,
)
from coopctg.reports.models import AnnualReport, AttenduAssessment
from coopctg.reports.rules import LEVEL_LABELS, STATUS_LABELS, Attainment, Level, attainment
from coopctg.reports.rules import Status as ReportStatus

ZERO = Decimal("0.00")


# --- Attendus ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCell:
    """The report of one Cof for one year (None: no report)."""

    cof: FundingAgreement
    report: AnnualReport | None

    @property
    def draft(self) -> bool:
        return self.report is not None and self.report.status is ReportStatus.BROUILLON

    @property
    def status_label(self) -> str:
        if self.draft:  # its levels are not counted yet
            return "brouillon, non pris en compte"
        return STATUS_LABELS[self.report.status] if self.report else "pas de bilan"


@dataclass(frozen=True)
class YearColumn:
    year: int
    reports: list[ReportCell]

    @property
    def assessed(self) -> bool:
        """A report of the year counts (drafts do not)."""
        return any(cell.report and not cell.draft for cell in self.reports)

    @property
    def validated(self) -> bool:
        """Every report of the year exists and is validated by the Caf."""
        return bool(self.reports) and all(
            cell.report and cell.report.status is ReportStatus.VALIDE for cell in self.reports
        )

    @property
    def note(self) -> str:
        """« validé », « transmis à la Caf », « brouillon », « pas de bilan », or a mix."""
        labels = sorted({cell.status_label for cell in self.reports})
        return " / ".join(labels) if labels else "pas de Cof"


@dataclass(frozen=True)
class LevelCell:
    level: Level | None

    @property
    def code(self) -> str:
        return self.level.value if self.level else "aucun"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level] if self.level else "—"


@dataclass(frozen=True)
class AttenduLine:
    attendu: ExpectedOutput
    cells: list[LevelCell]
    trend: Trend
    comments: list[tuple[int, str]]  # (year, comment), the reports' remarks

    @property
    def trend_label(self) -> str:
        return TREND_LABELS[self.trend]

    @property
    def last(self) -> LevelCell:
        known = [cell for cell in self.cells if cell.level is not None]
        return known[-1] if known else LevelCell(None)


@dataclass(frozen=True)
class ObjectiveLines:
    objective: Objective
    lines: list[AttenduLine]


@dataclass(frozen=True)
class AttainmentCell:
    year: int
    attainment: Attainment | None  # None: no report that year

    @property
    def realise(self) -> int:
        return self.attainment.counts[Level.REALISE] if self.attainment else 0

    @property
    def en_cours(self) -> int:
        return self.attainment.counts[Level.EN_COURS] if self.attainment else 0

    @property
    def total(self) -> int:
        return self.attainment.total if self.attainment else 0

    @property
    def realise_share(self) -> Decimal:
        return self.attainment.share(Level.REALISE) if self.attainment else Decimal("0.0")

    @property
    def en_cours_share(self) -> Decimal:
        return self.attainment.share(Level.EN_COURS) if self.attainment else Decimal("0.0")

    @property
    def engaged_share(self) -> Decimal:
        """Réalisé + en cours, for the bars."""
        return self.realise_share + self.en_cours_share


@dataclass(frozen=True)
class MissionLines:
    mission: Mission
    objectives: list[ObjectiveLines]
    evolution: list[AttainmentCell]

    @property
    def count(self) -> int:
        return sum(len(block.lines) for block in self.objectives)


# --- Faits marquants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HighlightYear:
    year: int
    items: list[Highlight]


@dataclass(frozen=True)
class HighlightGroup:
    kind: str
    label: str
    years: list[HighlightYear]

    @property
    def count(self) -> int:
        return sum(len(y.items) for y in self.years)


HIGHLIGHT_GROUP_LABELS = {
    Highlight.Kind.SERVICE: "Nouveaux services",
    Highlight.Kind.PARTENARIAT: "Nouveaux partenariats",
    Highlight.Kind.COMPETENCE: "Nouvelles prises de compétences (intercommunalité)",
}


# --- Indicators ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLine:
    indicator: Indicator
    values: list[Decimal | None]  # per year of the evaluation
    final: Decimal | None  # the value of the most recent year
    final_year: int | None
    outcome: IndicatorOutcome

    @property
    def value_texts(self) -> list[str]:
        return [number_text(v) for v in self.values]

    @property
    def baseline_text(self) -> str:
        return number_text(self.indicator.valeur_reference)

    @property
    def target_text(self) -> str:
        return number_text(self.indicator.cible)

    @property
    def final_text(self) -> str:
        return number_text(self.final)

    @property
    def progress_text(self) -> str:
        """« 85,5 % » of the way from the baseline to the target, or empty."""
        progress = self.outcome.progress
        return "" if progress is None else f"{format_number(progress, 1, trim=True)}\u00a0%"


def number_text(value: Decimal | None) -> str:
    """« 1 250 », « 19,5 », « — » when absent."""
    return "—" if value is None else format_number(value, 2, trim=True)


# --- Governance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GovernanceYear:
    year: int
    copil: PeriodCompliance | None
    cotech: list[PeriodCompliance]
    working_groups: int
    network: int


# --- Funding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingCell:
    year: int
    amount: Decimal | None  # None: the Cof does not cover the year
    etp: Decimal | None


@dataclass(frozen=True)
class FundingRow:
    cof: FundingAgreement
    cells: list[FundingCell]

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.cells if c.amount is not None), ZERO)


# --- The evaluation ------------------------------------------------------------------------------


@dataclass
class CtgEvaluation:
    ctg: Ctg
    today: dt.date
    years: list[int]
    version: FrameworkVersion | None
    columns: list[YearColumn]
    missions: list[MissionLines]
    overall: list[AttainmentCell]
    highlights: list[HighlightGroup]
    indicators: list[IndicatorLine]
    governance: GovernanceStatus
    governance_years: list[GovernanceYear]
    funding: list[FundingRow]
    funding_totals: list[Decimal] = field(default_factory=list)
    signataires: list[Any] = field(default_factory=list)
    #: The collectivité evaluated (None: every Cof passed, e.g. a Ctg of one signatory).
    collectivite: Any = None
    #: The objectifs de développement of the collectivité evaluated (or of each signatory).
    development: list[CollectiviteOutcomes] = field(default_factory=list)
    #: Mission 4 year by year (consultations, answers, supports, veille): the Ctg's records.
    population: list[PopulationYear] = field(default_factory=list)

    @property
    def funding_total(self) -> Decimal:
        return sum(self.funding_totals, ZERO)

    @property
    def highlight_count(self) -> int:
        return sum(group.count for group in self.highlights)

    @property
    def indicators_reached(self) -> int:
        return sum(1 for line in self.indicators if line.outcome.reached)

    @property
    def indicators_with_target(self) -> int:
        return sum(1 for line in self.indicators if line.indicator.cible is not None)

    @property
    def first_assessed(self) -> AttainmentCell | None:
        return next((cell for cell in self.overall if cell.attainment), None)

    @property
    def last_assessed(self) -> AttainmentCell | None:
        return next((cell for cell in reversed(self.overall) if cell.attainment), None)

    @property
    def copil_summary(self) -> tuple[int, int]:
        """(compliant years, years already judged)."""
        return _judged(self.governance.copil)

    @property
    def cotech_summary(self) -> tuple[int, int]:
        return _judged(self.governance.cotech)

    @property
    def ended(self) -> bool:
        return self.ctg.date_fin < self.today

    @property
    def targets_set(self) -> int:
        """Objectifs de développement fixed (one per collectivité and kind)."""
        return sum(1 for block in self.development for k in block.kinds if k.target is not None)

    @property
    def targets_reached(self) -> int:
        return sum(
            1
            for block in self.development
            for k in block.kinds
            if k.outcome.status is TargetStatus.ATTEINT and k.target is not None
        )


def _judged(periods: Iterable[PeriodCompliance]) -> tuple[int, int]:
    judged = [p for p in periods if p.status in (Status.CONFORME, Status.NON_CONFORME)]
    return sum(1 for p in judged if p.status is Status.CONFORME), len(judged)


def evaluation_cofs(ctg: Ctg, cofs: QuerySet[FundingAgreement] | None = None) -> list[Any]:
    """The Cofs of ``ctg`` (among ``cofs``), with their collectivité and signed versions
    (``signed_versions``): 2 queries."""
    queryset = cofs if cofs is not None else FundingAgreement.objects.all()
    signed = AgreementVersion.objects.filter(statut=AgreementVersion.Status.SIGNEE).order_by(
        "date_effet", "pk"
    )
    return list(
        queryset.filter(ctg=ctg)
        .select_related("collectivite")
        .prefetch_related(Prefetch("versions", queryset=signed, to_attr="signed_versions"))
        .order_by("collectivite__nom", "date_debut", "numero")
    )


def ctg_evaluation(
    ctg: Ctg,
    cofs: QuerySet[FundingAgreement] | None = None,
    today: dt.date | None = None,
    collectivite: Any = None,
) -> CtgEvaluation:
    """The évaluation de fin de Ctg of ``ctg`` (load it with its ``caf``) for ``collectivite``
    (one of its signatories), counting its Cofs among ``cofs`` (default: all). A fixed number
    of queries whatever the years."""
    today = today or timezone.localdate()
    if collectivite is not None:
        base = cofs if cofs is not None else FundingAgreement.objects.all()
        cofs = base.filter(collectivite=collectivite)
    agreements = evaluation_cofs(ctg, cofs)
    reports = list(
        AnnualReport.objects.filter(cof__in=[c.pk for c in agreements]).order_by("annee", "pk")
    )
    ctg_years = range(ctg.date_debut.year, ctg.date_fin.year + 1)
    years = sorted(
        set(evaluation_years(ctg.date_debut, ctg.date_fin, today))
        | {r.annee for r in reports if r.annee in ctg_years}
    )
    by_cof_year = {(r.cof_id, r.annee): r for r in reports}
    columns = [
        YearColumn(
            year=year,
            reports=[
                ReportCell(cof, by_cof_year.get((cof.pk, year)))
                for cof in agreements
                if cof.date_debut.year <= year <= cof.date_fin.year
            ],
        )
        for year in years
    ]
    version = _version(reports)
    missions, overall = _attainment(version, reports, years)
    meetings = list(Meeting.objects.filter(ctg=ctg).values_list("kind", "date"))
    governance = status_for(ctg, meetings, today)
    funding = _funding(agreements, years)
    signataires = list(ctg.signataires.order_by("nom"))
    return CtgEvaluation(
        ctg=ctg,
        today=today,
        years=years,
        version=version,
        columns=columns,
        missions=missions,
        overall=overall,
        highlights=_highlights(ctg),
        indicators=_indicators(ctg, years),
        governance=governance,
        governance_years=_governance_years(governance, meetings, years),
        funding=funding,
        funding_totals=[
            sum((row.cells[i].amount or ZERO for row in funding), ZERO) for i in range(len(years))
        ],
        signataires=signataires,
        collectivite=collectivite,
        development=development_outcomes(
            ctg, today, [collectivite] if collectivite is not None else signataires
        ),
        population=population_years(ctg, years),
    )


def _version(reports: list[AnnualReport]) -> FrameworkVersion | None:
    """The référentiel of the most recent report, else the newest one."""
    if reports:
        return FrameworkVersion.objects.filter(pk=reports[-1].referentiel_id).first()
    return versions_newest_first().first()


def _attainment(
    version: FrameworkVersion | None, reports: list[AnnualReport], years: list[int]
) -> tuple[list[MissionLines], list[AttainmentCell]]:
    if version is None:
        return [], []
    attendus = list(
        ExpectedOutput.objects.filter(objective__mission__version=version)
        .select_related("objective__mission")
        .order_by("objective__mission__position", "objective__position", "position", "pk")
    )
    # A draft (46 × « non engagé » when just created) is not an assessment yet: its levels are
    # left out (the year's column still says « brouillon »).
    year_of = {r.pk: r.annee for r in reports if r.status is not ReportStatus.BROUILLON}
    levels: dict[tuple[str, int], list[str]] = {}
    comments: dict[str, list[tuple[int, str]]] = {}
    rows = AttenduAssessment.objects.filter(bilan__in=list(year_of)).values_list(
        "bilan_id", "attendu__code", "niveau", "commentaire"
    )
    for bilan_id, code, level, comment in rows.order_by("bilan__annee", "bilan_id"):
        year = year_of[bilan_id]
        levels.setdefault((code, year), []).append(level)
        if comment.strip():
            comments.setdefault(code, []).append((year, comment.strip()))
    assessed_years = set(year_of.values())
    missions: list[MissionLines] = []
    by_year: dict[int, list[Level]] = {year: [] for year in years}
    for attendu in attendus:
        objective = attendu.objective
        mission = objective.mission
        if not missions or missions[-1].mission.pk != mission.pk:
            missions.append(MissionLines(mission=mission, objectives=[], evolution=[]))
        blocks = missions[-1].objectives
        if not blocks or blocks[-1].objective.pk != objective.pk:
            blocks.append(ObjectiveLines(objective=objective, lines=[]))
        year_levels = [best_level(levels.get((attendu.code, year), [])) for year in years]
        for year, level in zip(years, year_levels, strict=True):
            if level is not None:
                by_year[year].append(level)
        blocks[-1].lines.append(
            AttenduLine(
                attendu=attendu,
                cells=[LevelCell(level) for level in year_levels],
                trend=trend(year_levels),
                comments=comments.get(attendu.code, []),
            )
        )
    for block in missions:
        codes = {line.attendu.code for o in block.objectives for line in o.lines}
        for year in years:
            assessed = year in assessed_years
            found = [best_level(levels.get((code, year), [])) for code in codes]
            block.evolution.append(
                AttainmentCell(
                    year,
                    attainment([lv for lv in found if lv is not None]) if assessed else None,
                )
            )
    overall = [
        AttainmentCell(year, attainment(by_year[year]) if year in assessed_years else None)
        for year in years
    ]
    return missions, overall


def _highlights(ctg: Ctg) -> list[HighlightGroup]:
    items = list(Highlight.objects.filter(ctg=ctg).order_by("date", "id"))
    groups = []
    for kind in Highlight.Kind:
        of_kind = [h for h in items if h.kind == kind.value]
        years = sorted({h.date.year for h in of_kind})
        groups.append(
            HighlightGroup(
                kind=kind.value,
                label=HIGHLIGHT_GROUP_LABELS[kind],
                years=[
                    HighlightYear(year, [h for h in of_kind if h.date.year == year])
                    for year in years
                ],
            )
        )
    return groups


def _indicators(ctg: Ctg, years: list[int]) -> list[IndicatorLine]:
    lines = []
    for indicator in ctg_indicators(ctg):
        values = indicator.values_by_year()
        latest = indicator.latest_value()
        final = latest.value if latest else None
        lines.append(
            IndicatorLine(
                indicator=indicator,
                values=[values.get(year) for year in years],
                final=final,
                final_year=latest.year if latest else None,
                outcome=indicator_outcome(indicator.valeur_reference, indicator.cible, final),
            )
        )
    return lines


def _governance_years(
    status: GovernanceStatus, meetings: list[tuple[str, dt.date]], years: list[int]
) -> list[GovernanceYear]:
    copil = {p.period.year: p for p in status.copil}
    cotech: dict[int, list[PeriodCompliance]] = {}
    for period in status.cotech:
        cotech.setdefault(period.period.year, []).append(period)
    result = []
    for year in years:
        held = [kind for kind, date in meetings if date.year == year and date <= status.today]
        result.append(
            GovernanceYear(
                year=year,
                copil=copil.get(year),
                cotech=cotech.get(year, []),
                working_groups=held.count(MeetingKind.GROUPE_TRAVAIL.value),
                network=held.count(MeetingKind.RESEAU.value),
            )
        )
    return result


def _funding(agreements: list[Any], years: list[int]) -> list[FundingRow]:
    rows = []
    for cof in agreements:
        versions = cof.signed_versions
        periods = version_periods(cof, versions)
        cells = []
        for year in years:
            if not cof.date_debut.year <= year <= cof.date_fin.year:
                cells.append(FundingCell(year, None, None))
                continue
            last_day = min(dt.date(year, 12, 31), cof.date_fin)
            in_force = [
                v
                for v in versions
                if v.date_effet <= last_day and (v.date_fin is None or v.date_fin >= last_day)
            ]
            cells.append(
                FundingCell(
                    year,
                    annual_funding(year, periods).total,
                    in_force[-1].total_etp if in_force else None,
                )
            )
        rows.append(FundingRow(cof=cof, cells=cells))
    return rows


# --- PDF -----------------------------------------------------------------------------------------

PDF_TEMPLATE = "evaluation/pdf/evaluation.html"


def evaluation_html(evaluation: CtgEvaluation) -> str:
    """The HTML that WeasyPrint turns into the PDF."""
    html: str = render_to_string(
        PDF_TEMPLATE, {"evaluation": evaluation, "ctg": evaluation.ctg, "caf": evaluation.ctg.caf}
    )
    return html


def evaluation_pdf(evaluation: CtgEvaluation) -> bytes:
    """The évaluation de fin de Ctg (A4 landscape), rendered by WeasyPrint."""
    return html_to_pdf(evaluation_html(evaluation))
