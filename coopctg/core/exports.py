"""One writer for every table the application exports, in XLSX or in CSV.

Every workbook (budget, payment schedule, funding architecture, plan d'actions) and every CSV
(budget, payments, bilans, échéances) writes its cells through this module:

- **text** is cleaned of control characters (:func:`coopctg.core.text.clean_text`: a Word line
  break becomes a line feed, the others are dropped — a workbook cannot hold them), then a
  text that a spreadsheet would run as a formula — one that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return — gets a leading single quote, as OWASP recommends
  against « CSV injection »: ``'=HYPERLINK(…)`` is shown, never run, and never a formula cell.
  A text made of quotes then such a character gets one more quote, so that :func:`unescape`
  gives back exactly the text that was written (the plan d'actions import reads its export);
- **numbers** (``int``, ``Decimal``) stay numbers, negative ones too, and **dates** stay dates
  (``DD/MM/YYYY`` in a workbook, ``JJ/MM/AAAA`` in a CSV); booleans read « oui » / « non »;
- **CSV** follows French conventions: ``;`` separator, decimal comma, no thousands separator,
  CRLF line ends; :func:`csv_bytes` adds the UTF-8 BOM that a spreadsheet needs to read the
  file as UTF-8 (as :meth:`coopctg.core.commands.FrenchCommand.write_export` does for files);
- a workbook is saved by :func:`workbook_bytes`, which also turns any formula cell into its
  escaped text: no export of the application holds a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from coopctg.core.text import clean_line, clean_text

#: What makes a spreadsheet read a text as a formula (OWASP, « CSV injection »).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
EUROS_FORMAT = '#,##0.00 "€"'
ETP_FORMAT = "0.00"
PERCENT_FORMAT = "0.00 %"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


# --- Text cells ------------------------------------------------------------------------------


def _looks_like_formula(text: str) -> bool:
    return text.lstrip(ESCAPE).startswith(FORMULA_STARTS)


def escape(text: str) -> str:
    """``text`` as a spreadsheet shows it without running it: a leading quote when it would be
    read as a formula (or when it is quotes before such a start, so that it stays reversible)."""
    return ESCAPE + text if _looks_like_formula(text) else text


def unescape(text: str) -> str:
    """The text :func:`escape` was given (a text it left alone is returned as it is)."""
    if text.startswith(ESCAPE) and _looks_like_formula(text[1:]):
        return text[1:]
    return text


def text_cell(text: str) -> str:
    """A text as every export writes it: control characters cleaned, formula escaped."""
    return escape(clean_text(text))


# --- XLSX ------------------------------------------------------------------------------------


def _local(value: dt.datetime) -> dt.datetime:
    """A workbook has no time zones: an aware datetime is written in local time."""
    if value.tzinfo is None:
        return value
    from django.utils import timezone

    local: dt.datetime = timezone.localtime(value)
    return local.replace(tzinfo=None)


def cell_value(value: Any) -> Any:
    """What a workbook cell receives for ``value`` (text escaped, numbers and dates kept)."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime):
        return _local(value)
    if value is None or isinstance(value, int | Decimal | float | dt.date | dt.time):
        return value
    return text_cell(str(value))


def put(
    sheet: Worksheet, row: int, column: int, value: Any, *, number_format: str | None = None
) -> Cell:
    """Write one cell (see the module's rules); a date gets ``DD/MM/YYYY`` unless
    ``number_format`` says otherwise. Returns the cell, for its style."""
    cell = sheet.cell(row=row, column=column)
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    if number_format is not None:
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    return cell


def workbook_bytes(workbook: Workbook) -> bytes:
    """The ``.xlsx`` file of ``workbook``; a formula cell (a text written without :func:`put`)
    is written as its escaped text, and the document's properties are cleaned."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.value = escape(cell.value)
                    cell.data_type = "s"
    properties = workbook.properties
    for name in ("title", "subject", "creator", "description", "keywords"):
        value = getattr(properties, name)
        if isinstance(value, str):
            setattr(properties, name, clean_line(value))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CSV -------------------------------------------------------------------------------------


def rounded(value: Decimal, places: int = 2, *, trim: bool = False) -> Decimal:
    """``value`` to ``places`` decimals (half up), as a CSV shows it: ``48000.00``; with
    ``trim``, without its trailing zeros (``70`` rather than ``70.00``)."""
    number = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if trim:
        number = number.normalize()
    return number


def csv_value(value: Any) -> str:
    """One CSV field, French conventions (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return text_cell(str(value))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV table: ``header`` then one line per row, ``;`` separated, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_value(name) for name in header])
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
    return buffer.getvalue()


def csv_bytes(text: str) -> bytes:
    """The CSV file of :func:`csv_text`: UTF-8 with a BOM, so that a spreadsheet reads it."""
    return text.encode("utf-8-sig")
