"""The documents of a funding architecture: the « Ventilation » workbook and the « Annexe
financière » PDF.

Both lay out the référentiel's worked example (« Dans le cadre de l'exemple, sur le plan
conventionnel, le financement caf se répartit ainsi ») — rows by envelope « Pilotage petite
enfance »…, « Porté par », « À hauteur de », « Le financement sera donc ventilé ainsi », then the
TOTAL — with a subtotal per envelope and the anomalies. Every figure comes from the engine
through :func:`~coopctg.funding.services.compute_architecture`: nothing is recomputed here, so
the documents always agree with the web pages.

Both functions raise :class:`~coopctg.core.params.ParameterError` when the Caf has no funding
parameters in force on the architecture's date, as the computation does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coopctg.core.exports import DATE_FORMAT, ETP_FORMAT, EUROS_FORMAT, put, workbook_bytes
from coopctg.core.formats import format_date, format_etp, format_euros
from coopctg.core.pdf import html_to_pdf
from coopctg.funding.models import FundingArchitecture
from coopctg.funding.rules import Anomaly, Envelope, FundingResult, PostType, Severity
from coopctg.funding.services import (
    BreakdownGroup,
    PersonRow,
    breakdown,
    compute_architecture,
    stored_rows,
)

TITLE = "Annexe financière — Fonction de chargé·e de coopération Ctg"
PDF_TEMPLATE = "funding/pdf/annexe_financiere.html"

#: Envelope labels that start with a proper name keep their capital after « Pilotage » (the
#: référentiel writes « Pilotage Animation de la Vie Sociale, logement et accès aux droits »).
_PROPER_NAMES = ("Animation de la vie sociale",)

SEVERITY_LABELS = {Severity.BLOCKING: "Bloquante", Severity.WARNING: "Avertissement"}


# --- What both documents show ---------------------------------------------------------------


@dataclass(frozen=True)
class ArchitectureDocument:
    """An architecture with its engine figures, ready to be laid out."""

    architecture: FundingArchitecture
    result: FundingResult
    rows: list[PersonRow]
    groups: list[BreakdownGroup]  # only the envelopes that carry at least one line
    generated: dt.date

    @property
    def blocking(self) -> list[Anomaly]:
        return [a for a in self.result.anomalies if a.severity is Severity.BLOCKING]

    @property
    def verdict(self) -> str:
        count = len(self.blocking)
        if count == 0:
            return "Architecture finançable"
        plural = "s" if count > 1 else ""
        return f"Architecture non finançable : {count} anomalie{plural} bloquante{plural}"

    @property
    def cents(self) -> bool:
        """Show cents everywhere when one amount has some, so the column stays aligned."""
        amounts = [line.amount for line in self.result.lines] + [self.result.total_amount]
        return any(amount != amount.to_integral_value() for amount in amounts)

    def euros(self, value: Decimal) -> str:
        return format_euros(value, cents=self.cents)

    def person_name(self, person_id: str | None) -> str:
        return "" if person_id is None else self.rows[int(person_id) - 1].nom

    def envelope_label(self, envelope: Envelope | None) -> str:
        return "" if envelope is None else self.result.parameters.envelope_label(envelope)

    def post_type_label(self, row: PersonRow) -> str:
        return self.result.parameters.post_type(PostType(row.type_poste)).label

    def anomaly_number(self, anomaly: Anomaly) -> int:
        return self.result.anomalies.index(anomaly) + 1


def prepare(
    architecture: FundingArchitecture, today: dt.date | None = None
) -> ArchitectureDocument:
    result = compute_architecture(architecture)
    rows = stored_rows(architecture)
    groups = [group for group in breakdown(result, rows) if group.lines]
    return ArchitectureDocument(
        architecture=architecture,
        result=result,
        rows=rows,
        groups=groups,
        generated=today or timezone.localdate(),
    )


def pilotage_label(label: str) -> str:
    """« Petite enfance » → « Pilotage petite enfance », as in the référentiel's table."""
    if not label or label.startswith(_PROPER_NAMES):
        return f"Pilotage {label}".strip()
    return f"Pilotage {label[0].lower()}{label[1:]}"


def person_label(row: PersonRow) -> str:
    """« M. X – Coordinateur Petite Enfance »."""
    return f"{row.nom} – {row.fonction}" if row.fonction else row.nom


def ctg_period(document: ArchitectureDocument) -> str:
    ctg = document.architecture.ctg
    return f"du {format_date(ctg.date_debut)} au {format_date(ctg.date_fin)}"


# --- Workbook -------------------------------------------------------------------------------

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOTAL_BORDER = Border(left=_THIN, right=_THIN, top=Side(style="double"), bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_SUBTOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_TOTAL_FILL = PatternFill("solid", fgColor="D9D9D9")
_ANOMALY_FILL = PatternFill("solid", fgColor="FCE4D6")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def architecture_xlsx(architecture: FundingArchitecture, *, today: dt.date | None = None) -> bytes:
    """The workbook « Ventilation » (the référentiel's table, subtotals, TOTAL), « Par
    personne » and, when there are any, « Anomalies »."""
    document = prepare(architecture, today)
    workbook = Workbook()
    breakdown_sheet = workbook.active
    assert breakdown_sheet is not None
    _breakdown_sheet(breakdown_sheet, document)
    _persons_sheet(workbook.create_sheet("Par personne"), document)
    if document.result.anomalies:
        _anomalies_sheet(workbook.create_sheet("Anomalies"), document)
    workbook.properties.title = f"Ventilation du financement — {architecture.collectivite.nom}"
    workbook.properties.creator = "CoopCTG"
    return workbook_bytes(workbook)


def _title_block(
    sheet: Worksheet, document: ArchitectureDocument, title: str, *, full: bool = True
) -> int:
    """Write the title and the architecture's references (all of them on the first sheet, the
    main ones on the others); return the row of the table's header."""
    architecture = document.architecture
    params = document.result.parameters
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    # (label, value, number format, note in the next column)
    entries: list[tuple[str, object, str | None, str | None]] = [
        ("Caf", architecture.ctg.caf.nom, None, None),
        ("Collectivité", architecture.collectivite.nom, None, None),
        ("Ctg", f"{architecture.ctg.intitule} ({ctg_period(document)})", None, None),
        ("Date d'effet", architecture.date_effet, DATE_FORMAT, None),
    ]
    if full:
        entries += [
            (
                "Forfait par Etp",
                params.flat_rate.value,
                EUROS_FORMAT,
                f"en vigueur depuis le {format_date(params.flat_rate.since)}",
            ),
            (
                "Seuil par affectation (Etp)",
                params.threshold.value,
                ETP_FORMAT,
                f"en vigueur depuis le {format_date(params.threshold.since)}",
            ),
        ]
        if architecture.base_cej_montant is not None:
            entries += [
                (
                    "Base Cej redéployée (montant)",
                    architecture.base_cej_montant,
                    EUROS_FORMAT,
                    None,
                ),
                ("Base Cej redéployée (Etp)", architecture.base_cej_etp, ETP_FORMAT, None),
            ]
        entries.append(("Éligibilité", document.verdict, None, None))
    entries.append(("Document établi le", document.generated, DATE_FORMAT, None))
    row = 3
    for label, value, number_format, note in entries:
        put(sheet, row, 1, label).font = _BOLD
        cell = put(sheet, row, 2, value, number_format=number_format)
        cell.alignment = Alignment(horizontal="left")
        if note:
            put(sheet, row, 3, note).font = Font(italic=True, color="595959")
        row += 1
    return row + 1


def _header(sheet: Worksheet, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1).coordinate
    sheet.print_title_rows = f"{row}:{row}"


def _write_row(
    sheet: Worksheet,
    row: int,
    values: list[object],
    *,
    numbers: dict[int, str],
    font: Font | None = None,
    fill: PatternFill | None = None,
    border: Border = _BORDER,
) -> None:
    for column, value in enumerate(values, start=1):
        cell = put(sheet, row, column, value)
        cell.border = border
        cell.alignment = _WRAP
        if column in numbers:
            cell.number_format = numbers[column]
            cell.alignment = Alignment(horizontal="right", vertical="top")
        if font:
            cell.font = font
        if fill:
            cell.fill = fill


def _page_setup(sheet: Worksheet, widths: list[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Page &P / &N"


def _breakdown_sheet(sheet: Worksheet, document: ArchitectureDocument) -> None:
    sheet.title = "Ventilation"
    row = _title_block(
        sheet, document, "Ventilation du financement de la fonction de chargé·e de coopération Ctg"
    )
    _header(sheet, row, ["Enveloppe", "Porté par", "Fonction", "Type de poste", "Etp", "Montant"])
    numbers = {5: ETP_FORMAT, 6: EUROS_FORMAT}
    for group in document.groups:
        for index, line in enumerate(group.lines):
            row += 1
            _write_row(
                sheet,
                row,
                [
                    pilotage_label(group.label) if index == 0 else None,
                    line.person.nom,
                    line.person.fonction or None,
                    document.post_type_label(line.person),
                    line.etp,
                    line.amount,
                ],
                numbers=numbers,
                fill=_ANOMALY_FILL if line.anomalies else None,
            )
        row += 1
        _write_row(
            sheet,
            row,
            [f"Sous-total {group.label}", None, None, None, group.etp, group.amount],
            numbers=numbers,
            font=Font(bold=True, italic=True),
            fill=_SUBTOTAL_FILL,
        )
    row += 1
    _write_row(
        sheet,
        row,
        ["TOTAL", None, None, None, document.result.total_etp, document.result.total_amount],
        numbers=numbers,
        font=_BOLD,
        fill=_TOTAL_FILL,
        border=_TOTAL_BORDER,
    )
    if any(line.anomalies for group in document.groups for line in group.lines):
        note = put(
            sheet,
            row + 2,
            1,
            "Les lignes surlignées portent une anomalie (voir l'onglet « Anomalies »).",
        )
        note.font = Font(italic=True)
    _page_setup(sheet, [46, 22, 36, 30, 10, 16])


def _persons_sheet(sheet: Worksheet, document: ArchitectureDocument) -> None:
    row = _title_block(sheet, document, "Financement par personne", full=False)
    _header(sheet, row, ["Personne", "Fonction", "Employeur", "Type de poste", "Etp", "Montant"])
    numbers = {5: ETP_FORMAT, 6: EUROS_FORMAT}
    for total in document.result.persons:
        person = document.rows[int(total.person_id) - 1]
        row += 1
        _write_row(
            sheet,
            row,
            [
                person.nom,
                person.fonction or None,
                person.employeur or None,
                document.post_type_label(person),
                total.etp,
                total.amount,
            ],
            numbers=numbers,
        )
    row += 1
    _write_row(
        sheet,
        row,
        ["TOTAL", None, None, None, document.result.total_etp, document.result.total_amount],
        numbers=numbers,
        font=_BOLD,
        fill=_TOTAL_FILL,
        border=_TOTAL_BORDER,
    )
    _page_setup(sheet, [24, 36, 28, 30, 10, 16])


def _anomalies_sheet(sheet: Worksheet, document: ArchitectureDocument) -> None:
    row = _title_block(sheet, document, "Anomalies de l'architecture", full=False)
    # The label for people first; the code last, to filter or match the command line's JSON.
    _header(sheet, row, ["Anomalie", "Gravité", "Personne", "Enveloppe", "Message", "Code"])
    for anomaly in document.result.anomalies:
        row += 1
        _write_row(
            sheet,
            row,
            [
                anomaly.code.label,
                SEVERITY_LABELS[anomaly.severity],
                document.person_name(anomaly.person_id) or None,
                document.envelope_label(anomaly.envelope) or None,
                anomaly.message,
                anomaly.code.value,
            ],
            numbers={},
        )
    _page_setup(sheet, [30, 15, 20, 30, 90, 30])


# --- PDF ------------------------------------------------------------------------------------


def architecture_pdf(architecture: FundingArchitecture, *, today: dt.date | None = None) -> bytes:
    """The « Annexe financière » (A4 portrait), rendered by WeasyPrint from
    ``funding/pdf/annexe_financiere.html``."""
    return html_to_pdf(annexe_html(architecture, today=today))


def annexe_html(architecture: FundingArchitecture, *, today: dt.date | None = None) -> str:
    """The annex's HTML, before WeasyPrint."""
    html: str = render_to_string(PDF_TEMPLATE, annexe_context(prepare(architecture, today)))
    return html


def annexe_context(document: ArchitectureDocument) -> dict[str, object]:
    architecture = document.architecture
    params = document.result.parameters
    ctg = architecture.ctg
    groups = [
        {
            "label": pilotage_label(group.label),
            "subtotal_label": f"Sous-total {group.label}",
            "etp": format_etp(group.etp),
            "amount": document.euros(group.amount),
            "lines": [
                {
                    "person": person_label(line.person),
                    "post_type": document.post_type_label(line.person),
                    "etp": format_etp(line.etp),
                    "amount": document.euros(line.amount),
                    "notes": [document.anomaly_number(a) for a in line.anomalies],
                }
                for line in group.lines
            ],
        }
        for group in document.groups
    ]
    persons = [
        {
            "name": person_label(document.rows[int(total.person_id) - 1]),
            "employer": document.rows[int(total.person_id) - 1].employeur,
            "post_type": document.post_type_label(document.rows[int(total.person_id) - 1]),
            "etp": format_etp(total.etp),
            "amount": document.euros(total.amount),
        }
        for total in document.result.persons
    ]
    anomalies = [
        {
            "number": document.anomaly_number(anomaly),
            "blocking": anomaly.severity is Severity.BLOCKING,
            "severity": SEVERITY_LABELS[anomaly.severity],
            "message": anomaly.message,
        }
        for anomaly in document.result.anomalies
    ]
    cej = None
    if architecture.base_cej_montant is not None and architecture.base_cej_etp is not None:
        cej = {
            "amount": format_euros(architecture.base_cej_montant),
            "etp": format_etp(architecture.base_cej_etp),
        }
    return {
        "title": TITLE,
        "caf": {"nom": ctg.caf.nom, "adresse": ctg.caf.adresse, "site_web": ctg.caf.site_web},
        "collectivite": architecture.collectivite.nom,
        "ctg": {
            "intitule": ctg.intitule,
            "period": ctg_period(document),
            "themes": ", ".join(ctg.theme_labels()),
        },
        "date_effet": format_date(architecture.date_effet),
        "flat_rate": format_euros(params.flat_rate.value),
        "flat_rate_since": format_date(params.flat_rate.since),
        "threshold": format_etp(params.threshold.value),
        "threshold_since": format_date(params.threshold.since),
        "cej": cej,
        "groups": groups,
        "total_etp": format_etp(document.result.total_etp),
        "total_amount": document.euros(document.result.total_amount),
        "persons": persons,
        "anomalies": anomalies,
        "eligible": document.result.eligible,
        "verdict": document.verdict,
        "generated": format_date(document.generated),
    }
