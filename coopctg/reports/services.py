"""Reading the bilans annuels and the payments for other parts of the application.

Public functions (dashboards, échéances, payment schedule, evaluation):

- :func:`parameters_for_caf`: a Caf's dated report and payment parameters;
- :func:`report_states` / :func:`report_state`: for Cofs and a year, the report (if any), its
  deadline and whether it is late, in one query;
- :func:`cof_years`: the years a Cof covers;
- :func:`cof_payment`: the payment of one Cof for one year (amount due from the signed
  versions, advance, balance released once the report is validated);
- :func:`annual_report_fact`: what the eligibility condition « bilan annuel » sees.

The workflow (creating, editing, transmitting, sending back, validating a report) lives in
:mod:`coopctg.reports.workflow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from coopctg.agreements.annual import version_periods, year_versions
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.caf_params import ParameterFamily
from coopctg.core.params import ParameterError
from coopctg.funding.rules.annual import annual_funding
from coopctg.reports.models import AnnualReport
from coopctg.reports.rules import (
    TIMELINESS_LABELS,
    Payment,
    ReportParameters,
    Status,
    Timeliness,
    counts_as_transmitted,
    load_report_parameters,
    payment,
    timeliness,
)

PARAMETERS_ROOT = Path(__file__).resolve().parent / "parametres"


_parameters = ParameterFamily(
    "paramètre des bilans",
    lambda parameters, caf: load_report_parameters(parameters),
    root=lambda: PARAMETERS_ROOT,
)


def parameters_for_caf(caf_code: str) -> ReportParameters:
    """The dated report and payment parameters of a Caf (``parametres/caf-<code>/``, else
    ``parametres/national/``, :mod:`coopctg.core.caf_params`); raises
    :class:`~coopctg.core.params.ParameterError` (French message) when absent or invalid."""
    return _parameters(PARAMETERS_ROOT, caf_code)


def due_or_none(parameters: ReportParameters, year: int) -> dt.date | None:
    """The deadline of the report of ``year``, or None when no ``echeance_bilan`` value is in
    force for that year (a Cof that starts before the parameter's first date): the page says
    « échéance non paramétrée » instead of failing."""
    try:
        return parameters.due_date(year)
    except ParameterError:
        return None


def cof_years(cof: FundingAgreement) -> list[int]:
    """The calendar years the Cof covers, in order."""
    return list(range(cof.date_debut.year, cof.date_fin.year + 1))


@dataclass(frozen=True)
class ReportState:
    """Where the report of one Cof for one year stands on ``today``."""

    cof_id: int
    year: int
    report: AnnualReport | None
    due: dt.date | None  # None: no deadline parameter in force for the year
    timeliness: Timeliness

    @property
    def status(self) -> Status | None:
        return self.report.status if self.report else None

    @property
    def late(self) -> bool:
        return self.timeliness is Timeliness.EN_RETARD

    @property
    def timeliness_label(self) -> str:
        return TIMELINESS_LABELS[self.timeliness]


def _state(
    cof: FundingAgreement, year: int, report: AnnualReport | None, today: dt.date
) -> ReportState:
    due = due_or_none(parameters_for_caf(cof.ctg.caf.code), year)
    first = report.premiere_transmission_le if report else None
    return ReportState(
        cof_id=cof.pk,
        year=year,
        report=report,
        due=due,
        timeliness=timeliness(
            report.status if report else None,
            due,
            today,
            timezone.localdate(first) if first else None,
        ),
    )


def report_states(
    cofs: Iterable[FundingAgreement], year: int, today: dt.date | None = None
) -> dict[int, ReportState]:
    """The state of the ``year`` report of each Cof (load them with ``ctg__caf``), one query."""
    today = today or timezone.localdate()
    cofs = list(cofs)
    reports = {
        report.cof_id: report
        for report in AnnualReport.objects.filter(cof__in=[c.pk for c in cofs], annee=year)
    }
    return {cof.pk: _state(cof, year, reports.get(cof.pk), today) for cof in cofs}


def report_state(cof: FundingAgreement, year: int, today: dt.date | None = None) -> ReportState:
    return report_states([cof], year, today)[cof.pk]


def cof_year_versions(cof: FundingAgreement, year: int) -> list[AgreementVersion]:
    """The signed versions of ``cof`` in force some day of ``year``, in order of effect."""
    return list(year_versions(year).filter(cof=cof))


def cof_amount_due(cof: FundingAgreement, year: int) -> Decimal:
    """The funding due under ``cof`` for ``year`` (its signed versions, prorated by day)."""
    return annual_funding(year, version_periods(cof, cof_year_versions(cof, year))).total


def cof_payment(
    cof: FundingAgreement, year: int, amount_due: Decimal, report: AnnualReport | None
) -> Payment:
    """The payment of ``year`` under ``cof``: advance at the Caf's dated rate, balance released
    once the year's report is validated."""
    rate = parameters_for_caf(cof.ctg.caf.code).advance_rate(year)
    validated = report is not None and report.status is Status.VALIDE
    return payment(year, amount_due, rate, validated)


def annual_report_fact(ctg_id: int, collectivite_id: int, today: dt.date | None = None) -> Any:
    """What the eligibility condition « transmettre un bilan annuel » sees for the collectivité's
    Cof within the Ctg (the latest one): None when it has no Cof (the declaration applies).

    The year expected is the last one of the Cof whose deadline has passed; before any deadline
    has passed, the latest transmitted report (or the Cof's first year, still to transmit)."""
    from coopctg.funding.rules.eligibility import AnnualReportFact

    today = today or timezone.localdate()
    cof = (
        FundingAgreement.objects.filter(ctg_id=ctg_id, collectivite_id=collectivite_id)
        .select_related("ctg__caf")
        .order_by("-date_debut", "-pk")
        .first()
    )
    if cof is None:
        return None
    try:
        parameters = parameters_for_caf(cof.ctg.caf.code)
    except ParameterError:  # no deadline for this Caf: the declaration applies
        return None
    # Years without a deadline in force (before the parameter's first date) are skipped.
    dues = {y: due for y in cof_years(cof) if (due := due_or_none(parameters, y)) is not None}
    if not dues:  # no year with a deadline: the declaration applies
        return None
    reports = {r.annee: r for r in AnnualReport.objects.filter(cof=cof)}
    years = list(dues)
    passed = [y for y in years if dues[y] < today]
    if passed:
        year = passed[-1]
    else:
        transmitted = [
            y for y in years if y in reports and counts_as_transmitted(reports[y].status)
        ]
        year = transmitted[-1] if transmitted else years[0]
    report = reports.get(year)
    first = report.premiere_transmission_le if report else None
    sent = report is not None and counts_as_transmitted(report.status) and first is not None
    return AnnualReportFact(
        year=year,
        due=dues[year],
        transmitted_on=timezone.localdate(first) if sent and first else None,
        overdue=dues[year] < today,
    )
