"""The export writer shared by every XLSX and CSV (coopctg.core.exports): formula-like texts
escaped with a quote and reversible, control characters cleaned, numbers and dates kept."""

import datetime as dt
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from coopctg.core.exports import (
    csv_text,
    csv_value,
    escape,
    put,
    text_cell,
    unescape,
    workbook_bytes,
)
from tests.hostile import FORMULAS, SOFT_BREAK, csv_rows, xlsx_cells


def test_formula_like_texts_get_a_quote():
    assert [escape(text) for text in FORMULAS] == ["'" + text for text in FORMULAS]
    for text in ["Ctg Gâtine", "2024", " =1", "a=b", "", "'t Hooft", "€"]:
        assert escape(text) == text
    assert escape("'=1") == "''=1"  # quotes before a formula: one more, to stay reversible


@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", " "])))
def test_unescape_gives_back_what_escape_was_given(text):
    assert unescape(escape(text)) == text
    if text.lstrip("'").startswith(("=", "+", "-", "@", "\t", "\r")):
        assert escape(text).startswith("'")


def test_text_cells_are_cleaned_then_escaped():
    assert text_cell(SOFT_BREAK) == "Titre\ncollé"
    assert text_cell("a\x01b\x7f\x9f\x00c") == "abc"
    assert text_cell("\x0b=1") == "\n=1"  # a line feed first: not a formula
    assert text_cell("=1\x0c") == "'=1\n"


def test_xlsx_cells_hostile_texts_inert_numbers_and_dates_kept():
    workbook = Workbook()
    sheet = workbook.active
    values = [
        *FORMULAS,
        SOFT_BREAK,
        Decimal("-2.50"),
        -3,
        Decimal("48000.00"),
        dt.date(2024, 3, 15),
        True,
        None,
    ]
    for column, value in enumerate(values, start=1):
        put(sheet, 1, column, value)
    sheet.cell(row=2, column=1, value="=1+1")  # written without put: saved as a text too
    content = workbook_bytes(workbook)
    cells = {cell.coordinate: cell for cell in xlsx_cells(content)}
    row = [cells.get(f"{letter}1") for letter in "ABCDEFGHIJKL"]
    for cell, text in zip(row[:6], FORMULAS, strict=True):
        assert cell.data_type == "s" and cell.value.startswith("'")
        assert cell.value in {"'" + text, "'" + text.replace("\r", "\n")}
    assert row[6].value == "Titre\ncollé"
    assert [(c.value, c.data_type) for c in row[7:10]] == [(-2.5, "n"), (-3, "n"), (48000, "n")]
    assert row[10].value == dt.datetime(2024, 3, 15) and row[10].number_format == "DD/MM/YYYY"
    assert row[11].value == "oui" and "M1" not in cells  # None: an empty cell
    assert (cells["A2"].value, cells["A2"].data_type) == ("'=1+1", "s")


def test_workbook_properties_are_cleaned():
    workbook = Workbook()
    workbook.properties.title = "Budget\x0b2024"
    loaded = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    assert loaded.properties.title == "Budget 2024"


def test_csv_french_formats():
    assert [
        csv_value(v)
        for v in [
            Decimal("-2.50"),
            Decimal("48000.00"),
            -3,
            2024,
            dt.date(2024, 3, 15),
            False,
            None,
            "-2+3",
            "Ctg",
        ]
    ] == ["-2,50", "48000,00", "-3", "2024", "15/03/2024", "non", "", "'-2+3", "Ctg"]


def test_csv_hostile_texts_inert_and_readable():
    text = csv_text(["nom", "montant"], [[value, Decimal("-1.00")] for value in FORMULAS])
    text += csv_text(["nom"], [[SOFT_BREAK]])
    assert text.startswith("nom;montant\r\n")
    rows = csv_rows(text)
    assert [row[0] for row in rows[1:7]] == ["'" + value for value in FORMULAS]
    assert {row[1] for row in rows[1:7]} == {"-1,00"}
    assert rows[-1] == ["Titre\ncollé"]
