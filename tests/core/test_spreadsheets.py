"""Limits of an uploaded workbook, checked before openpyxl opens it (coopctg.core.spreadsheets):
a « spreadsheet bomb » is refused in bounded memory, a normal workbook passes."""

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from coopctg.core.spreadsheets import Limits, SpreadsheetRefused, check_xlsx
from tests.spreadsheet_bombs import (
    HEADER,
    MAIN,
    far_cell_bomb,
    sheet_xml,
    wide_row_bomb,
    workbook_with,
)

LIMITS = Limits(rows=10_000, columns=200, shared_strings=1_000)


def refusal(stream, limits=LIMITS) -> str:
    with pytest.raises(SpreadsheetRefused) as caught:
        check_xlsx(stream, limits)
    return str(caught.value)


def test_a_normal_workbook_passes():
    workbook = Workbook()
    sheet = workbook.active
    for row in range(1, 2001):
        sheet.append([f"A{row}", "Titre", "Une description", 40, None, "en cours"])
    stream = io.BytesIO()
    workbook.save(stream)
    check_xlsx(stream, LIMITS)
    assert stream.tell() == 0


def test_what_is_not_a_zip_is_left_to_openpyxl():
    for content in [b"", b"%PDF-1.4", b"PK\x03\x04 not a zip"]:
        check_xlsx(io.BytesIO(content), LIMITS)


def test_one_row_of_100_000_cells_is_refused_in_bounded_memory():
    bomb = wide_row_bomb(100_000)
    assert len(bomb.getvalue()) < 50_000  # a small file…
    tracemalloc.start()
    try:
        message = refusal(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == (
        "Le classeur dépasse les limites : la ligne 2 a des cellules au-delà de la colonne GR "
        "(200 colonnes au plus ; colonne n° 201). Supprimez les colonnes inutiles, puis "
        "réessayez."
    )
    assert peak < 2 * 1024 * 1024  # …read as a stream, not unpacked in memory


def test_one_row_of_5_000_000_cells_is_an_abnormally_compressed_part():
    """The probe's bomb: 5 000 000 cells in one row, a few kilobytes once compressed."""
    assert "anormalement compressée (xl/worksheets/sheet1.xml : 19,1 Mo" in refusal(
        wide_row_bomb(5_000_000)
    )


def test_a_cell_far_right_is_refused():
    assert "la ligne 1 a des cellules au-delà de la colonne GR" in refusal(far_cell_bomb())
    assert "colonne n° 16" in refusal(far_cell_bomb())


def test_a_row_far_down_is_refused():
    bomb = workbook_with(
        {"xl/worksheets/sheet1.xml": sheet_xml(HEADER + '<row r="1048576"><c/></row>')}
    )
    assert refusal(bomb) == (
        "Le classeur dépasse les limites : une feuille a des lignes au-delà de la ligne "
        "10\u202f000 (ligne 1\u202f048\u202f576). Supprimez les lignes inutiles, puis réessayez."
    )


def test_cells_of_a_sheet_are_counted():
    rows = "".join(f'<row r="{n}">' + "<c/>" * 100 + "</row>" for n in range(1, 12))
    bomb = workbook_with({"xl/worksheets/sheet1.xml": sheet_xml(rows)})
    assert refusal(bomb, Limits(rows=100, columns=100, cells=1_000)) == (
        "Le classeur dépasse les limites : une feuille a plus de 1\u202f000 cellules. "
        "Supprimez les lignes et colonnes inutiles, puis réessayez."
    )
    check_xlsx(bomb, Limits(rows=100, columns=100, cells=1_100))


def test_the_declared_dimension_is_checked_first():
    for dimension, expected in [
        ("A1:XFD1", "au-delà de la colonne GR"),
        ("A1:B1048576", "au-delà de la ligne 10\u202f000"),
    ]:
        bomb = workbook_with({"xl/worksheets/sheet1.xml": sheet_xml(HEADER, dimension=dimension)})
        assert expected in refusal(bomb)
    fine = workbook_with({"xl/worksheets/sheet1.xml": sheet_xml(HEADER, dimension="A1:K2000")})
    check_xlsx(fine, LIMITS)


def test_shared_strings_are_counted():
    def strings(count: int, declared: int | None = None) -> io.BytesIO:
        unique = f' uniqueCount="{declared}"' if declared is not None else ""
        xml = f'<sst xmlns="{MAIN}"{unique}>' + "<si><t>x</t></si>" * count + "</sst>"
        return workbook_with({"xl/sharedStrings.xml": xml.encode()})

    expected = "Le classeur contient trop de textes différents (plus de 1\u202f000)."
    assert refusal(strings(1_001)) == expected
    assert refusal(strings(1, declared=10**12)) == expected
    check_xlsx(strings(1_000, declared=1_000), LIMITS)


def test_unpacked_size_and_parts_are_bounded():
    small = Limits(rows=10, columns=10, unpacked_bytes=100_000, parts=20)
    big = workbook_with({"xl/media/image1.png": bytes(range(256)) * 1_000})
    assert refusal(big, small).startswith(
        "Le classeur est trop volumineux une fois décompressé (0,3 Mo, 0,1 Mo au plus)."
    )
    many = workbook_with({f"xl/media/image{n}.png": b"x" for n in range(30)})
    assert refusal(many, small).startswith("Le classeur compte trop de parties (")


def test_a_document_type_declaration_is_refused():
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
    bomb = workbook_with({"xl/worksheets/sheet1.xml": sheet_xml(HEADER, prolog=doctype)})
    assert "déclaration de type de document (DTD)" in refusal(bomb)


def test_parts_that_are_not_xml_are_left_to_openpyxl():
    stream = workbook_with({"xl/media/image1.png": b"\x89PNG\r\n\x1a\n not xml"})
    check_xlsx(stream, LIMITS)
    with zipfile.ZipFile(stream) as archive:
        assert "xl/media/image1.png" in archive.namelist()
