"""The national view as a workbook (:mod:`coopctg.core.exports` rules: numbers as numbers,
euros to the cent, texts escaped): one sheet of figures per Caf, one of the budget per
envelope, one of the payments. Figures per Caf and territory only, never per person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coopctg.agreements.annual import envelope_labels
from coopctg.core.exports import ETP_FORMAT, EUROS_FORMAT, put, workbook_bytes
from coopctg.dashboards.national import CafFigures, NationalFigures
from coopctg.funding.rules import Envelope

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="D9D9D9")


def _caf_cells(one: CafFigures) -> list[Any]:
    if one.caf is None:
        return ["TOTAL", "Toutes les Caf", ""]
    return [one.caf.code, one.caf.nom, one.caf.departement.code]


def _table(
    sheet: Worksheet,
    title: str,
    header: list[str],
    lines: list[tuple[list[Any], dict[int, str]]],
    widths: list[int],
) -> None:
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    for column, name in enumerate(header, start=1):
        cell = put(sheet, 3, column, name)
        cell.font = BOLD
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A4"
    last = len(lines)
    for index, (values, formats) in enumerate(lines, start=1):
        for column, value in enumerate(values, start=1):
            cell = put(sheet, 3 + index, column, value, number_format=formats.get(column))
            if index == last:
                cell.font = BOLD
                cell.fill = TOTAL_FILL
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def national_xlsx(figures: NationalFigures, *, today: dt.date | None = None) -> bytes:
    labels = envelope_labels("national", figures.year)
    every = [*figures.cafs, figures.total]
    workbook = Workbook()

    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Caf"
    _table(
        sheet,
        f"Vue nationale {figures.year} — chiffres par Caf au {figures.today:%d/%m/%Y}",
        [
            "Caf",
            "Nom",
            "Département",
            "Collectivités",
            "Avec une Ctg en cours",
            "Couverture (%)",
            "Etp",
            f"Financement {figures.year}",
            "Bilans en retard",
            "Collectivités avec un bilan en retard",
            "Collectivités à la gouvernance incomplète",
        ],
        [
            (
                [
                    *_caf_cells(one),
                    one.collectivites,
                    one.with_ctg,
                    one.coverage,
                    one.total_etp,
                    one.total_amount,
                    one.late_bilans,
                    one.territories_late,
                    one.governance_missing,
                ],
                {7: ETP_FORMAT, 8: EUROS_FORMAT},
            )
            for one in every
        ],
        [8, 36, 12, 14, 14, 14, 10, 18, 14, 18, 20],
    )

    budget = workbook.create_sheet("Budget")
    money = {4 + i: EUROS_FORMAT for i in range(len(Envelope) + 1)}
    etps = {5 + len(Envelope) + i: ETP_FORMAT for i in range(len(Envelope) + 1)}
    _table(
        budget,
        f"Budget {figures.year} par Caf et par enveloppe (euros dus, Etp en vigueur)",
        [
            "Caf",
            "Nom",
            "Département",
            *(f"{labels.get(e, e.value)} (€)" for e in Envelope),
            "Total (€)",
            *(f"{labels.get(e, e.value)} (Etp)" for e in Envelope),
            "Total (Etp)",
        ],
        [
            (
                [
                    *_caf_cells(one),
                    *(one.amounts[e] for e in Envelope),
                    one.total_amount,
                    *(one.etp[e] for e in Envelope),
                    one.total_etp,
                ],
                {**money, **etps},
            )
            for one in every
        ],
        [8, 36, 12, *([16] * (2 * len(Envelope) + 2))],
    )

    payments = workbook.create_sheet("Versements")
    _table(
        payments,
        f"Versements {figures.year} par Caf",
        [
            "Caf",
            "Nom",
            "Département",
            "Taux d'acompte",
            "Montant dû",
            "Acompte",
            "Solde",
            "Solde libéré",
            "Solde en attente",
        ],
        [
            (
                [
                    *_caf_cells(one),
                    one.rate if one.caf is not None else None,
                    one.payments.amount_due,
                    one.payments.advance,
                    one.payments.balance,
                    one.payments.balance_released,
                    one.payments.balance_pending,
                ],
                {4: "0 %", **{c: EUROS_FORMAT for c in range(5, 10)}},
            )
            for one in every
        ],
        [8, 36, 12, 14, 18, 18, 18, 18, 18],
    )
    return workbook_bytes(workbook)
