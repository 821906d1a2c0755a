"""The fiche diagnostic as documents: the map of an EPCI's communes, the XLSX workbook, the PDF.

All of them read :func:`coopctg.indicators.services.build_fiche`; the page shows the same.
Values invented for the demonstration carry « valeurs fictives de démonstration » wherever
they appear (a banner, the row, the footer of every PDF page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from coopctg.core.exports import DATE_FORMAT, put, workbook_bytes
from coopctg.core.formats import format_date
from coopctg.core.pdf import html_to_pdf
from coopctg.indicators.catalogue import LEVELS
from coopctg.indicators.services import (
    DEMO_NOTE,
    CommuneMap,
    CommuneValue,
    Fiche,
    FicheLine,
    Point,
)
from coopctg.territories import svgmap

PDF_TEMPLATE = "indicators/pdf/fiche.html"
MAP_WIDTH = 600

#: Fill of each class, lightest (lowest values) to darkest; each at least 3:1 against the white
#: borders. The class number is written on the map and in the table: colour is never the only
#: cue (RGAA 3.1).
CLASS_FILLS = ("#6a8fc0", "#4f7ab3", "#2f5a94", "#1b3560")
NO_VALUE_FILL = "#8a8f98"
NO_VALUE_MARKER = "–"


# --- The map -----------------------------------------------------------------------------


@dataclass
class MapItem:
    row: CommuneValue
    shape: svgmap.Shape | None
    fill: str
    marker: str

    @property
    def title(self) -> str:
        point = self.row.point
        value = "pas de valeur" if point is None else point.display
        return f"{self.row.commune.nom} : {value}"


def commune_map(communes: CommuneMap | None) -> dict[str, Any] | None:
    """The SVG map of an EPCI's communes, each filled by its class and marked with its number;
    its legend. None without communes."""
    if communes is None or not communes.rows:
        return None
    svg_map = svgmap.build_map(
        ((row.commune.code_insee, row.commune.geometrie) for row in communes.rows),
        width=MAP_WIDTH,
        padding=6,
    )
    shapes = {shape.key: shape for shape in svg_map.shapes}
    count = len(communes.classes)
    fills = _class_fills(count)
    items = [
        MapItem(
            row=row,
            shape=shapes.get(row.commune.code_insee),
            fill=NO_VALUE_FILL if row.classe is None else fills[row.classe - 1],
            marker=NO_VALUE_MARKER if row.classe is None else str(row.classe),
        )
        for row in communes.rows
    ]
    legend = [(str(number), fills[number - 1], label) for number, label in communes.classes]
    if communes.missing:
        legend.append((NO_VALUE_MARKER, NO_VALUE_FILL, "pas de valeur"))
    return {"svg_map": svg_map, "items": items, "legend": legend}


def _class_fills(count: int) -> tuple[str, ...]:
    if count >= len(CLASS_FILLS):
        return CLASS_FILLS
    if count <= 1:
        return CLASS_FILLS[-1:]
    step = (len(CLASS_FILLS) - 1) / (count - 1)
    return tuple(CLASS_FILLS[round(i * step)] for i in range(count))


# --- XLSX ----------------------------------------------------------------------------------


def number_format(point: Point) -> str:
    """Show every published decimal, no more: ``61.1`` → ``#,##0.0``."""
    _, _, decimals = point.texte.partition(".")
    return "#,##0" + (f".{'0' * len(decimals)}" if decimals else "")


def _cell_value(point: Point | None) -> Decimal | None:
    return None if point is None else point.valeur


def fiche_xlsx(fiche: Fiche, *, today: dt.date | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    demo_fill = PatternFill("solid", fgColor="FCE4D6")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Fiche diagnostic"
    put(sheet, 1, 1, f"Fiche diagnostic — {fiche.nom}").font = Font(bold=True, size=14)
    put(sheet, 2, 1, "Établie le").font = bold
    put(
        sheet, 2, 2, today or timezone.localdate(), number_format=DATE_FORMAT
    ).alignment = Alignment(horizontal="left")
    put(sheet, 3, 1, "Année").font = bold
    put(sheet, 3, 2, str(fiche.annee) if fiche.annee else "les plus récentes")
    put(sheet, 4, 1, "Comparaison").font = bold
    put(sheet, 4, 2, f"département {fiche.departement} et France, même année")
    row = 5
    if fiche.fictif:
        row += 1
        cell = put(
            sheet,
            row,
            1,
            f"Attention : {DEMO_NOTE} (fichiers d'exemple aux valeurs inventées), signalées "
            "ligne par ligne.",
        )
        cell.font = bold
        cell.fill = demo_fill
    row += 2
    titles = [
        "Thématique",
        "Indicateur",
        "Unité",
        "Année",
        fiche.nom,
        f"Département ({fiche.departement.code})",
        "France",
        "Évolution",
        "Source",
        "Remarque",
    ]
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title)
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1).coordinate
    for block in fiche.themes:
        for line in block.lines:
            row += 1
            put(sheet, row, 1, block.label)
            put(sheet, row, 2, line.indicator.libelle)
            put(sheet, row, 3, line.indicator.unite)
            put(sheet, row, 4, line.annee)
            for column, point in ((5, line.valeur), (6, line.departement), (7, line.france)):
                cell = put(sheet, row, column, _cell_value(point))
                if point is not None:
                    cell.number_format = number_format(point)
            put(sheet, row, 8, trend_text(line))
            put(sheet, row, 9, line.source_text)
            cell = put(sheet, row, 10, _remark(line))
            if line.fictif:
                for column in range(1, len(titles) + 1):
                    sheet.cell(row=row, column=column).fill = demo_fill
            del cell
    for column, width in enumerate([20, 52, 24, 8, 16, 16, 12, 22, 60, 40], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width

    _series_sheet(workbook.create_sheet("Évolution"), fiche, bold, header_fill)
    if fiche.communes is not None:
        _communes_sheet(workbook.create_sheet("Communes"), fiche.communes, bold, header_fill)
    _sources_sheet(workbook.create_sheet("Sources"), fiche, bold, header_fill)
    workbook.properties.title = f"Fiche diagnostic — {fiche.nom}"
    return workbook_bytes(workbook)


def _remark(line: FicheLine) -> str:
    parts = [p for p in (line.note, DEMO_NOTE if line.fictif else "") if p]
    return " ; ".join(parts)


def trend_text(line: FicheLine) -> str:
    if line.trend is None or line.trend_from is None:
        return ""
    return f"{line.trend} depuis {line.trend_from.annee} ({line.trend_from.display})"


def _header(sheet: Any, row: int, titles: list[str], bold: Any, fill: Any) -> None:
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title)
        cell.font, cell.fill = bold, fill


def _series_sheet(sheet: Any, fiche: Fiche, bold: Any, fill: Any) -> None:
    years = sorted(fiche.years)
    put(sheet, 1, 1, f"Valeurs de {fiche.nom}, année par année").font = bold
    _header(sheet, 3, ["Indicateur", "Unité", *(str(y) for y in years)], bold, fill)
    row = 3
    for line in fiche.lines:
        if not line.serie:
            continue
        row += 1
        put(sheet, row, 1, line.indicator.libelle)
        put(sheet, row, 2, line.indicator.unite)
        by_year = {p.annee: p for p in line.serie}
        for column, year in enumerate(years, start=3):
            point = by_year.get(year)
            cell = put(sheet, row, column, _cell_value(point))
            if point is not None:
                cell.number_format = number_format(point)
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 24


def _communes_sheet(sheet: Any, communes: CommuneMap, bold: Any, fill: Any) -> None:
    year = f" ({communes.annee})" if communes.annee else ""
    title = f"Communes : {communes.indicator.libelle}{year}"
    put(sheet, 1, 1, title).font = bold
    if communes.fictif:
        put(sheet, 2, 1, DEMO_NOTE)
    _header(sheet, 3, ["Commune", "Code INSEE", communes.indicator.unite, "Classe"], bold, fill)
    for row, item in enumerate(communes.rows, start=4):
        put(sheet, row, 1, item.commune.nom)
        put(sheet, row, 2, item.commune.code_insee)
        cell = put(sheet, row, 3, _cell_value(item.point))
        if item.point is not None:
            cell.number_format = number_format(item.point)
        put(sheet, row, 4, item.classe)
    classes_row = len(communes.rows) + 5
    put(sheet, classes_row, 1, "Classes").font = bold
    for offset, (number, label) in enumerate(communes.classes, start=1):
        put(sheet, classes_row + offset, 1, f"Classe {number}")
        put(sheet, classes_row + offset, 2, label)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["C"].width = 18


def _sources_sheet(sheet: Any, fiche: Fiche, bold: Any, fill: Any) -> None:
    _header(sheet, 1, ["Éditeur", "Jeu de données", "Licence", "Pages"], bold, fill)
    row = 1
    for source, pages in fiche.sources:
        row += 1
        put(sheet, row, 1, source.editeur)
        put(sheet, row, 2, source.titre)
        put(sheet, row, 3, source.licence)
        put(sheet, row, 4, "\n".join(pages or [source.page]))
    for line in fiche.lines:
        if line.indicator.is_local:
            row += 1
            put(sheet, row, 1, f"{fiche.nom} (indicateur local)")
            put(sheet, row, 2, f"{line.indicator.libelle} : {line.indicator.source.titre}")
    for column, width in zip("ABCD", (26, 70, 26, 60), strict=True):
        sheet.column_dimensions[column].width = width


# --- PDF -----------------------------------------------------------------------------------


def fiche_html(fiche: Fiche, *, today: dt.date | None = None) -> str:
    generated = today or timezone.localdate()
    return render_to_string(
        PDF_TEMPLATE,
        {
            "fiche": fiche,
            "map": commune_map(fiche.communes),
            "generated_text": format_date(generated),
            "demo_note": DEMO_NOTE,
            "levels": LEVELS,
        },
    )


def fiche_pdf(fiche: Fiche, *, today: dt.date | None = None) -> bytes:
    return html_to_pdf(fiche_html(fiche, today=today))
