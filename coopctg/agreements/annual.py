"""The funding due for a calendar year, from the signed Cof versions: the Caf's budget sheet.

Each signed version contributes its frozen annual envelope amounts (``ventilation``, the
engine's output when it was signed) for the days it was in force — ``[date_effet, date_fin]``
clipped to its Cof's period — within the year; the arithmetic is the pure rule
:func:`coopctg.funding.rules.annual.annual_funding`. A collectivité with no version in force in
the year is due 0,00 €.

The collectivités, their Cofs that meet the year and those Cofs' signed versions are read in
three queries, whatever their number (:func:`budget_year`).

Outputs: :func:`budget_to_json` (``coopctg financement annuel``), :func:`budget_csv` (French
conventions: ``;``, decimal comma) and :func:`budget_xlsx` (the Caf's budget sheet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.exports import (
    DATE_FORMAT,
    EUROS_FORMAT,
    csv_text,
    put,
    rounded,
    workbook_bytes,
)
from coopctg.core.params import ParameterError
from coopctg.core.versions import PerCafMemo, by_collectivite_name, rows_in_view
from coopctg.funding.rules import Envelope, decimal_text
from coopctg.funding.rules.annual import (
    AnnualFunding,
    AnnualPeriod,
    annual_funding,
    annual_to_json,
    days_in_year,
)
from coopctg.organisations.models import Caf, LocalAuthority

#: Years the pages and the command accept (a date exists before and after each).
MIN_YEAR = 1900
MAX_YEAR = 2999
CSV_HEADER = ["code", "nom", *(envelope.value for envelope in Envelope), "total"]


@dataclass(frozen=True)
class CollectiviteYear:
    collectivite: LocalAuthority
    funding: AnnualFunding

    @property
    def code(self) -> str:
        return self.collectivite.code

    @property
    def nom(self) -> str:
        return self.collectivite.nom


@dataclass(frozen=True)
class BudgetYear:
    """The funding due for ``year`` to each of ``rows``' collectivités, and the totals."""

    year: int
    rows: list[CollectiviteYear]
    envelopes: dict[Envelope, Decimal]  # sum of the rows' (rounded) envelopes
    total: Decimal

    @property
    def days_in_year(self) -> int:
        return days_in_year(self.year)


# --- From the database to the pure rule -------------------------------------------------------


def version_periods(
    cof: FundingAgreement, versions: Iterable[AgreementVersion]
) -> list[AnnualPeriod]:
    """The periods in force of ``cof``'s signed ``versions``, clipped to the Cof's period."""
    periods = []
    for version in versions:
        if not version.is_signed or not version.ventilation:
            continue
        first = max(version.date_effet, cof.date_debut)
        last = min(version.date_fin or cof.date_fin, cof.date_fin)
        if last < first:
            continue
        periods.append(
            AnnualPeriod(
                first_day=first,
                last_day=last,
                amounts={
                    Envelope(item["enveloppe"]): Decimal(item["montant"])
                    for item in version.ventilation["enveloppes"]
                },
                label=f"{version.label} — {cof.numero}",
            )
        )
    return periods


def year_versions(year: int) -> QuerySet[AgreementVersion]:
    """The signed versions in force some day of ``year``, in order of effect: those the
    funding of the year is prorated from."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (
        AgreementVersion.objects.filter(statut=AgreementVersion.Status.SIGNEE, date_effet__lte=end)
        .filter(Q(date_fin__isnull=True) | Q(date_fin__gte=start))
        .order_by("date_effet", "pk")
    )


def with_year_agreements(
    collectivites: QuerySet[LocalAuthority], year: int
) -> QuerySet[LocalAuthority]:
    """``collectivites`` sorted by name, with their Cofs that meet ``year``
    (``annual_cofs``) and those Cofs' signed versions that meet it (``annual_versions``)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    versions = year_versions(year)
    cofs = (
        FundingAgreement.objects.filter(date_debut__lte=end, date_fin__gte=start)
        .order_by("date_debut", "numero")
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="annual_versions"))
    )
    return (
        collectivites.select_related("epci", "commune")
        .defer("epci__geometrie", "commune__geometrie")  # outlines: heavy JSON, never shown
        .prefetch_related(Prefetch("cofs", queryset=cofs, to_attr="annual_cofs"))
        .order_by("nom", "pk")
    )


def collectivite_year(collectivite: LocalAuthority, year: int) -> AnnualFunding:
    """The funding due to one collectivité for ``year``, prefetched by
    :func:`with_year_agreements` or read here."""
    cofs = getattr(collectivite, "annual_cofs", None)
    if cofs is None:
        prefetched = with_year_agreements(LocalAuthority.objects.filter(pk=collectivite.pk), year)
        cofs = prefetched.get().annual_cofs  # type: ignore[attr-defined]
    periods = [
        period
        for cof in cofs
        for period in version_periods(cof, cof.annual_versions)  # type: ignore[attr-defined]
    ]
    return annual_funding(year, periods)


#: Each whole Caf's rows of a year, kept until its data change (:mod:`coopctg.core.versions`):
#: about 300 kB for a Caf of 23 collectivités.
_KEPT = PerCafMemo("financement annuel", size=128)


def _rows(collectivites: QuerySet[LocalAuthority], year: int) -> list[CollectiviteYear]:
    return [
        CollectiviteYear(collectivite, collectivite_year(collectivite, year))
        for collectivite in with_year_agreements(collectivites, year)
    ]


def _whole_caf_rows(caf_ids: list[int], year: int) -> dict[int, list[CollectiviteYear]]:
    found: dict[int, list[CollectiviteYear]] = {pk: [] for pk in caf_ids}
    for row in _rows(LocalAuthority.objects.filter(caf_id__in=caf_ids), year):
        found[row.collectivite.caf_id].append(row)
    return found


def budget_rows(collectivites: QuerySet[LocalAuthority], year: int) -> list[CollectiviteYear]:
    """The funding due for ``year`` to each collectivité, by name; a fixed number of queries.
    The rows of a Caf whose every collectivité is in view are kept per Caf until its data
    change: the national figures read the Caf that changed only."""
    return rows_in_view(
        collectivites,
        _KEPT,
        year,
        whole=lambda ids: _whole_caf_rows(ids, year),
        partial=lambda _, ids: _rows(LocalAuthority.objects.filter(pk__in=ids), year),
        order=by_collectivite_name,
    )


def budget_year(collectivites: QuerySet[LocalAuthority], year: int) -> BudgetYear:
    """The funding due for ``year`` to each collectivité (by name), and the totals."""
    rows = budget_rows(collectivites, year)
    envelopes = {
        envelope: sum((row.funding.envelopes[envelope] for row in rows), Decimal("0.00"))
        for envelope in Envelope
    }
    return BudgetYear(
        year=year,
        rows=rows,
        envelopes=envelopes,
        total=sum(envelopes.values(), Decimal("0.00")),
    )


def caf_budget(caf: Caf, year: int) -> BudgetYear:
    """Every collectivité of ``caf``: the Caf's budget sheet for ``year``."""
    return budget_year(LocalAuthority.objects.filter(caf=caf), year)


def envelope_labels(caf_code: str, year: int) -> dict[Envelope, str]:
    """The Caf's envelope labels in force at the end of ``year`` (its parameter files), else
    its first ones, else the codes."""
    from coopctg.funding.caf_parameters import load_caf_parameters
    from coopctg.funding.rules.parameters import ENVELOPES

    try:
        parameters = load_caf_parameters(caf_code)
        first = parameters.parameters[ENVELOPES].values[0].start
        when = max(dt.date(year, 12, 31), first)
        try:
            infos = parameters.at(when).envelopes.value
        except ParameterError:
            infos = parameters.at(first).envelopes.value
    except ParameterError:
        return {envelope: envelope.value for envelope in Envelope}
    return {info.code: info.label for info in infos}


# --- Outputs ----------------------------------------------------------------------------------


def budget_to_json(budget: BudgetYear) -> dict[str, Any]:
    """The ``coopctg financement annuel`` JSON: euros as strings with two decimals."""
    return {
        "annee": budget.year,
        "collectivites": [
            {"code": row.code, "nom": row.nom, **annual_to_json(row.funding)} for row in budget.rows
        ],
        "enveloppes": [
            {"enveloppe": envelope.value, "montant": decimal_text(amount)}
            for envelope, amount in budget.envelopes.items()
        ],
        "total": decimal_text(budget.total),
    }


def budget_csv(budget: BudgetYear) -> str:
    """One line per collectivité, French conventions (:mod:`coopctg.core.exports`): ``;``
    separator, decimal comma, no thousands separator (``48000,00``), no totals line."""
    return csv_text(
        CSV_HEADER,
        (
            [
                row.code,
                row.nom,
                *(rounded(row.funding.envelopes[envelope]) for envelope in Envelope),
                rounded(row.funding.total),
            ]
            for row in budget.rows
        ),
    )


def budget_xlsx(budget: BudgetYear, caf: Caf, *, today: dt.date | None = None) -> bytes:
    """The budget sheet: one row per collectivité × the four envelopes and the total (numeric
    cells in euros), a totals row, a frozen header; a second sheet details the periods."""
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
    labels = envelope_labels(caf.code, budget.year)

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"Budget {budget.year}"
    title = f"Budget {budget.year} — fonction de chargé·e de coopération Ctg — {caf.nom}"
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    put(
        sheet,
        2,
        1,
        f"Montants dus au titre de {budget.year}, au prorata des jours de chaque version de "
        f"Cof en vigueur ({budget.days_in_year} jours dans l'année), arrondis au centime par "
        "enveloppe.",
    ).font = Font(italic=True)
    put(sheet, 3, 1, "Établi le").font = bold
    generated = put(sheet, 3, 2, today or timezone.localdate(), number_format=DATE_FORMAT)
    generated.alignment = Alignment(horizontal="left")

    header_row = 5
    titles = ["Code", "Collectivité", *(labels[e] for e in Envelope), "Total"]

    def header(target: Any, row: int, names: list[str]) -> None:
        for column, name in enumerate(names, start=1):
            cell = put(target, row, column, name)
            cell.font = bold
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        target.freeze_panes = target.cell(row=row + 1, column=1).coordinate
        target.print_title_rows = f"{row}:{row}"

    def line(target: Any, row: int, values: list[object], money: set[int], **style: Any) -> None:
        for column, value in enumerate(values, start=1):
            cell = put(target, row, column, value)
            cell.border = style.get("border", border)
            if column in money:
                cell.number_format = EUROS_FORMAT
            if "font" in style:
                cell.font = style["font"]
            if "fill" in style:
                cell.fill = style["fill"]

    header(sheet, header_row, titles)
    money_columns = set(range(3, 3 + len(Envelope) + 1))
    row = header_row
    for item in budget.rows:
        row += 1
        line(
            sheet,
            row,
            [
                item.code,
                item.nom,
                *(item.funding.envelopes[e] for e in Envelope),
                item.funding.total,
            ],
            money_columns,
        )
    row += 1
    line(
        sheet,
        row,
        ["TOTAL", f"{len(budget.rows)} collectivités", *budget.envelopes.values(), budget.total],
        money_columns,
        font=bold,
        fill=total_fill,
        border=total_border,
    )
    for column, width in enumerate([12, 46, 18, 18, 18, 24, 18], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    details = workbook.create_sheet("Périodes")
    put(details, 1, 1, f"Versions de Cof en vigueur en {budget.year}").font = Font(
        bold=True, size=14
    )
    header(details, 3, ["Code", "Collectivité", "Du", "Au", "Jours", "Version", "Montant"])
    row = 3
    for item in budget.rows:
        for share in item.funding.periods:
            row += 1
            line(
                details,
                row,
                [
                    item.code,
                    item.nom,
                    share.first_day,
                    share.last_day,
                    share.days,
                    share.label,
                    share.amount,
                ],
                {7},
            )
    for column, width in enumerate([12, 46, 12, 12, 8, 40, 16], start=1):
        details.column_dimensions[get_column_letter(column)].width = width

    workbook.properties.title = title
    workbook.properties.creator = "CoopCTG"
    return workbook_bytes(workbook)
