"""Hostile texts that every export must write inert and readable (coopctg.core.exports):
a text that a spreadsheet would run as a formula comes out as a text starting with a quote,
never a formula cell; a control character never breaks a workbook."""

import csv
import io

from openpyxl import load_workbook

#: Texts a spreadsheet would run (OWASP « CSV injection »).
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
#: A Word soft line break (vertical tab): openpyxl refuses it in a cell.
SOFT_BREAK = "Titre\x0bcollé"


def xlsx_cells(content: bytes) -> list:
    """Every non-empty cell of every sheet; fails if one holds a formula."""
    workbook = load_workbook(io.BytesIO(content))
    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not formulas, f"formula cells: {formulas}"
    return cells


def xlsx_texts(content: bytes) -> list[str]:
    return [cell.value for cell in xlsx_cells(content) if cell.data_type == "s"]


def assert_inert(texts: list[str], written: str) -> None:
    """``written`` is among ``texts`` escaped with a quote (its carriage return may come back
    as a line feed, as XML reads it)."""
    expected = {"'" + written, "'" + written.replace("\r", "\n")}
    assert expected & set(texts), (written, texts)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))
