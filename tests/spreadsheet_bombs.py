"""Small workbooks that unpack into huge sheets (« spreadsheet bombs »), built on the fly."""

import io
import zipfile

from openpyxl import Workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'


def sheet_xml(rows: str, *, dimension: str = "", prolog: str = "") -> bytes:
    head = f"<dimension ref={dimension!r}/>" if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">{head}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def workbook_with(parts: dict[str, bytes]) -> io.BytesIO:
    """A real two-sheet workbook (« Actions », « Indicateurs ») whose parts ``parts`` replace
    or add (``xl/worksheets/sheet1.xml`` is the « Actions » sheet)."""
    workbook = Workbook()
    workbook.active.title = "Actions"
    workbook.create_sheet("Indicateurs")
    source = io.BytesIO()
    workbook.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as target:
        for info in original.infolist():
            if info.filename not in parts:
                target.writestr(info, original.read(info))
        for name, content in parts.items():
            target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    out.seek(0)
    return out


def wide_row_bomb(cells: int = 100_000) -> io.BytesIO:
    """One row of ``cells`` empty cells (no column references: read one after the other)."""
    return workbook_with(
        {"xl/worksheets/sheet1.xml": sheet_xml(HEADER + '<row r="2">' + "<c/>" * cells + "</row>")}
    )


def far_cell_bomb() -> io.BytesIO:
    """A single cell at column XFD (16 384), which openpyxl pads with empty cells."""
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="XFD1"><v>1</v></c>'
    return workbook_with({"xl/worksheets/sheet1.xml": sheet_xml(row + "</row>")})
