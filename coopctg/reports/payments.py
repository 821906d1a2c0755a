"""The versements: for each year of a Cof, the amount due, the advance and the balance.

The amount due for a year is the Cof's funding for that year (its signed versions, prorated by
day: :func:`coopctg.funding.rules.annual.annual_funding`); the advance is paid at the Caf's
dated rate (``taux_acompte``) and the balance is released once the year's bilan annuel is
validated (:func:`coopctg.reports.rules.payment`).

- :func:`payment_schedule`: the Caf's schedule for a year, one row per Cof in force that year
  among the collectivités given (the user's visible ones), in three queries whatever their
  number (Cofs with their Ctg and collectivité, their signed versions, the year's reports);
- :func:`cof_schedule`: every year of one Cof, in two queries (its signed versions, its
  reports);
- outputs: :func:`schedule_csv` (French conventions), :func:`schedule_to_json` and
  :func:`schedule_xlsx` (the Caf's payment schedule).

When the Caf has no payment parameters (no ``taux_acompte`` file), the amounts due are still
given but the advance and balance are left blank (``payment`` is None): no rate is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from coopctg.agreements.annual import version_periods, year_versions
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.exports import (
    DATE_FORMAT,
    EUROS_FORMAT,
    PERCENT_FORMAT,
    csv_text,
    put,
    rounded,
    workbook_bytes,
)
from coopctg.core.formats import format_number
from coopctg.core.params import ParameterError
from coopctg.funding.rules import decimal_text
from coopctg.funding.rules.annual import annual_funding
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.reports.models import AnnualReport
from coopctg.reports.rules import (
    PAYMENT_STATE_LABELS,
    STATUS_LABELS,
    Payment,
    PaymentState,
    Status,
    payment,
)
from coopctg.reports.services import cof_years, parameters_for_caf

ZERO = Decimal("0.00")
NO_REPORT = "aucun"
NO_REPORT_LABEL = "aucun bilan"
#: The report filter of the schedule page: the report statuses, and « aucun bilan ».
REPORT_FILTERS = [(NO_REPORT, NO_REPORT_LABEL)] + [
    (status.value, STATUS_LABELS[status]) for status in Status
]
STATE_FILTERS = [(state.value, PAYMENT_STATE_LABELS[state]) for state in PaymentState]
CSV_HEADER = [
    "code",
    "collectivite",
    "cof",
    "ctg",
    "montant_du",
    "taux_acompte",
    "acompte",
    "solde",
    "bilan",
    "etat",
]


@dataclass(frozen=True)
class PaymentRow:
    """The payment of one Cof for one year. ``payment`` is None when the Caf's advance rate
    is not set; ``report`` is the year's bilan annuel, if started."""

    cof: FundingAgreement
    year: int
    amount_due: Decimal
    payment: Payment | None
    report: AnnualReport | None

    @property
    def rate(self) -> Decimal | None:
        return self.payment.rate if self.payment else None

    @property
    def advance(self) -> Decimal | None:
        return self.payment.advance if self.payment else None

    @property
    def balance(self) -> Decimal | None:
        return self.payment.balance if self.payment else None

    @property
    def state(self) -> PaymentState | None:
        return self.payment.state if self.payment else None

    @property
    def state_label(self) -> str:
        return PAYMENT_STATE_LABELS[self.payment.state] if self.payment else "taux non défini"

    @property
    def balance_released(self) -> bool:
        return bool(self.payment and self.payment.balance_released)

    @property
    def released(self) -> Decimal | None:
        """What may be paid now: the advance, plus the balance once released."""
        return self.payment.released if self.payment else None

    @property
    def report_status(self) -> Status | None:
        return self.report.status if self.report else None

    @property
    def report_status_value(self) -> str:
        return self.report.statut if self.report else NO_REPORT

    @property
    def report_status_label(self) -> str:
        return STATUS_LABELS[self.report.status] if self.report else NO_REPORT_LABEL

    @property
    def collectivite(self) -> LocalAuthority:
        return self.cof.collectivite


@dataclass(frozen=True)
class ScheduleTotals:
    amount_due: Decimal = ZERO
    advance: Decimal = ZERO
    balance: Decimal = ZERO
    balance_released: Decimal = ZERO
    balance_pending: Decimal = ZERO

    @classmethod
    def of(cls, rows: Iterable[PaymentRow]) -> ScheduleTotals:
        rows = list(rows)
        released = [row for row in rows if row.balance_released]
        return cls(
            amount_due=sum((row.amount_due for row in rows), ZERO),
            advance=sum((row.advance or ZERO for row in rows), ZERO),
            balance=sum((row.balance or ZERO for row in rows), ZERO),
            balance_released=sum((row.balance or ZERO for row in released), ZERO),
            balance_pending=sum(
                (row.balance or ZERO for row in rows if not row.balance_released), ZERO
            ),
        )


@dataclass(frozen=True)
class PaymentSchedule:
    """The payments of ``year`` for the Cofs in force that year, by collectivité and number."""

    caf: Caf
    year: int
    rate: Decimal | None  # None: the Caf's advance rate is not set
    rows: list[PaymentRow]
    totals: ScheduleTotals = field(default_factory=ScheduleTotals)
    parameter_error: str = ""

    def filtered(self, report: str = "", state: str = "") -> PaymentSchedule:
        """The rows whose report status (a :class:`Status` value or ``"aucun"``) and payment
        state (a :class:`PaymentState` value) match; an empty filter keeps every row."""
        rows = [
            row
            for row in self.rows
            if (not report or row.report_status_value == report)
            and (not state or (row.state is not None and row.state.value == state))
        ]
        return PaymentSchedule(
            caf=self.caf,
            year=self.year,
            rate=self.rate,
            rows=rows,
            totals=ScheduleTotals.of(rows),
            parameter_error=self.parameter_error,
        )


# --- Reading --------------------------------------------------------------------------------


def _rate(caf: Caf, year: int) -> tuple[Decimal | None, str]:
    try:
        return parameters_for_caf(caf.code).advance_rate(year), ""
    except ParameterError as error:
        return None, str(error)


def _row(
    cof: FundingAgreement,
    year: int,
    versions: Sequence[AgreementVersion],
    rate: Decimal | None,
    report: AnnualReport | None,
) -> PaymentRow:
    amount = annual_funding(year, version_periods(cof, versions)).total
    validated = report is not None and report.status is Status.VALIDE
    return PaymentRow(
        cof=cof,
        year=year,
        amount_due=amount,
        payment=None if rate is None else payment(year, amount, rate, validated),
        report=report,
    )


def year_cofs(collectivites: QuerySet[LocalAuthority], year: int) -> QuerySet[FundingAgreement]:
    """The Cofs of ``collectivites`` in force in ``year`` (signed, period meeting the year),
    by collectivité name and number, with their signed versions that meet the year
    (``annual_versions``)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (
        FundingAgreement.objects.filter(
            collectivite__in=collectivites, date_debut__lte=end, date_fin__gte=start
        )
        .exclude(statut=FundingAgreement.Status.PROJET)
        .select_related("ctg", "collectivite__epci", "collectivite__commune")
        .defer("collectivite__epci__geometrie", "collectivite__commune__geometrie")
        .prefetch_related(
            Prefetch("versions", queryset=year_versions(year), to_attr="annual_versions")
        )
        .order_by("collectivite__nom", "collectivite__pk", "numero")
    )


def payment_schedule(
    caf: Caf, collectivites: QuerySet[LocalAuthority], year: int
) -> PaymentSchedule:
    """The payments of ``year`` for the Cofs of ``collectivites`` (restricted to ``caf``'s),
    in three queries whatever their number."""
    rate, error = _rate(caf, year)
    cofs = list(year_cofs(collectivites.filter(caf=caf), year))
    reports = {
        report.cof_id: report
        for report in AnnualReport.objects.filter(cof__in=[cof.pk for cof in cofs], annee=year)
    }
    rows = [
        _row(cof, year, cof.annual_versions, rate, reports.get(cof.pk))  # type: ignore[attr-defined]
        for cof in cofs
    ]
    return PaymentSchedule(
        caf=caf,
        year=year,
        rate=rate,
        rows=rows,
        totals=ScheduleTotals.of(rows),
        parameter_error=error,
    )


def payment_schedules(cafs: Sequence[Caf], year: int) -> list[PaymentSchedule]:
    """One schedule per Caf of ``cafs`` (in that order), each with the rows
    :func:`payment_schedule` gives for all its collectivités, in three queries whatever the
    number of Caf (the national view, ``coopctg versements --caf tout``)."""
    rates = {caf.pk: _rate(caf, year) for caf in cafs}  # parameters: cached, no query
    cofs = list(year_cofs(LocalAuthority.objects.filter(caf__in=list(cafs)), year))
    reports = {
        report.cof_id: report
        for report in AnnualReport.objects.filter(cof__in=[cof.pk for cof in cofs], annee=year)
    }
    rows: dict[int, list[PaymentRow]] = {caf.pk: [] for caf in cafs}
    for cof in cofs:
        rate = rates[cof.collectivite.caf_id][0]
        rows[cof.collectivite.caf_id].append(
            _row(cof, year, cof.annual_versions, rate, reports.get(cof.pk))  # type: ignore[attr-defined]
        )
    return [
        PaymentSchedule(
            caf=caf,
            year=year,
            rate=rates[caf.pk][0],
            rows=rows[caf.pk],
            totals=ScheduleTotals.of(rows[caf.pk]),
            parameter_error=rates[caf.pk][1],
        )
        for caf in cafs
    ]


def cof_schedule(cof: FundingAgreement) -> list[PaymentRow]:
    """Every year of ``cof`` (:func:`~coopctg.reports.services.cof_years`): amount due,
    advance, balance and state, in two queries (load the Cof with ``ctg__caf``)."""
    versions = list(
        AgreementVersion.objects.filter(cof=cof, statut=AgreementVersion.Status.SIGNEE).order_by(
            "date_effet", "pk"
        )
    )
    reports = {report.annee: report for report in AnnualReport.objects.filter(cof=cof)}
    rows = []
    for year in cof_years(cof):
        rate, _ = _rate(cof.ctg.caf, year)
        rows.append(_row(cof, year, versions, rate, reports.get(year)))
    return rows


# --- Outputs ---------------------------------------------------------------------------------


def _csv_amount(value: Decimal | None) -> Decimal | None:
    return None if value is None else rounded(value)


def _csv_rate(value: Decimal | None) -> Decimal | None:
    return None if value is None else rounded(value * 100, trim=True)


def schedule_csv(schedule: PaymentSchedule) -> str:
    """One line per Cof, French conventions (:mod:`coopctg.core.exports`): ``;`` separator,
    decimal comma, no thousands separator (``48000,00``), the rate in percent (``70``), no
    totals line."""
    return csv_text(CSV_HEADER, schedule_rows(schedule))


def schedule_rows(schedule: PaymentSchedule) -> list[list[Any]]:
    """The CSV lines of :func:`schedule_csv`, one per Cof."""
    return [
        [
            row.collectivite.code,
            row.collectivite.nom,
            row.cof.numero,
            row.cof.ctg.intitule,
            _csv_amount(row.amount_due),
            _csv_rate(row.rate),
            _csv_amount(row.advance),
            _csv_amount(row.balance),
            row.report_status_label,
            row.state_label,
        ]
        for row in schedule.rows
    ]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def schedule_to_json(schedule: PaymentSchedule) -> dict[str, Any]:
    """Euros as strings with two decimals, the rate as a decimal string (``"0.70"``)."""
    totals = schedule.totals
    return {
        "caf": schedule.caf.code,
        "annee": schedule.year,
        "taux_acompte": None if schedule.rate is None else str(schedule.rate),
        "versements": [
            {
                "collectivite": {"code": row.collectivite.code, "nom": row.collectivite.nom},
                "cof": row.cof.numero,
                "ctg": row.cof.ctg.intitule,
                "montant_du": decimal_text(row.amount_due),
                "acompte": _text(row.advance),
                "solde": _text(row.balance),
                "bilan": row.report_status_value,
                "etat": row.state.value if row.state else None,
            }
            for row in schedule.rows
        ],
        "totaux": {
            "montant_du": decimal_text(totals.amount_due),
            "acompte": decimal_text(totals.advance),
            "solde": decimal_text(totals.balance),
            "solde_libere": decimal_text(totals.balance_released),
            "solde_en_attente": decimal_text(totals.balance_pending),
        },
    }


def schedule_xlsx(schedule: PaymentSchedule, *, today: dt.date | None = None) -> bytes:
    """The Caf's payment schedule: one row per Cof (numeric cells in euros, the rate in
    percent), a totals row, a frozen header."""
    from django.utils import timezone
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    total_border = Border(left=thin, right=thin, top=Side(style="double"), bottom=thin)
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    total_fill = PatternFill("solid", fgColor="D9D9D9")
    bold = Font(bold=True)
    year, caf = schedule.year, schedule.caf

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"Versements {year}"
    title = f"Versements {year} — fonction de chargé·e de coopération Ctg — {caf.nom}"
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    if schedule.rate is None:
        note = f"Taux d'acompte non défini pour {year} : {schedule.parameter_error}."
    else:
        note = (
            f"Montant dû au titre de {year} (versions signées de chaque Cof, au prorata des "
            f"jours) ; acompte de {format_number(schedule.rate * 100, 2, trim=True)} % arrondi "
            "au centime ; solde libéré une fois le bilan annuel de l'année validé par la Caf."
        )
    put(sheet, 2, 1, note).font = Font(italic=True)
    put(sheet, 3, 1, "Établi le").font = bold
    generated = put(sheet, 3, 2, today or timezone.localdate(), number_format=DATE_FORMAT)
    generated.alignment = Alignment(horizontal="left")

    header_row = 5
    titles = [
        "Code",
        "Collectivité",
        "Cof",
        "Ctg",
        "Montant dû",
        "Taux d'acompte",
        "Acompte",
        "Solde",
        f"Bilan {year}",
        "État du solde",
        "Solde libéré",
    ]
    for column, name in enumerate(titles, start=1):
        cell = put(sheet, header_row, column, name)
        cell.font = bold
        cell.fill = header_fill
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate
    sheet.print_title_rows = f"{header_row}:{header_row}"
    money = {5, 7, 8, 11}

    def line(row: int, values: list[object], **style: Any) -> None:
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            cell.border = style.get("border", border)
            if column in money:
                cell.number_format = EUROS_FORMAT
            elif column == 6:
                cell.number_format = PERCENT_FORMAT
            if "font" in style:
                cell.font = style["font"]
            if "fill" in style:
                cell.fill = style["fill"]

    row = header_row
    for item in schedule.rows:
        row += 1
        line(
            row,
            [
                item.collectivite.code,
                item.collectivite.nom,
                item.cof.numero,
                item.cof.ctg.intitule,
                item.amount_due,
                item.rate,
                item.advance,
                item.balance,
                item.report_status_label,
                item.state_label,
                item.balance if item.balance_released else ZERO,
            ],
        )
    row += 1
    totals = schedule.totals
    count = len(schedule.rows)
    line(
        row,
        [
            "TOTAL",
            f"{count} Cof",
            None,
            None,
            totals.amount_due,
            None,
            totals.advance,
            totals.balance,
            None,
            None,
            totals.balance_released,
        ],
        font=bold,
        fill=total_fill,
        border=total_border,
    )
    for column, width in enumerate([12, 40, 18, 34, 16, 10, 16, 16, 20, 24, 16], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    workbook.properties.title = title
    workbook.properties.creator = "CoopCTG"
    return workbook_bytes(workbook)
