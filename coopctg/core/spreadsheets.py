"""Limits checked on an uploaded workbook (.xlsx) before openpyxl opens it.

A workbook is a ZIP of XML parts, and a few hundred kilobytes can unpack into millions of
cells: openpyxl then spends minutes and gigabytes before the import can say « too many rows »
(one row of 5 000 000 empty cells, or a single cell at column XFD, which read-only openpyxl
pads with 16 383 empty ones). :func:`check_xlsx` reads only the ZIP's directory and streams
the XML, in bounded time and memory, and refuses (:class:`SpreadsheetRefused`, one French
sentence) as soon as a limit is crossed:

- the number of parts, their total size once unpacked, and the compression ratio of each
  large part (a « ZIP bomb »);
- in each worksheet: the range it declares (``<dimension ref="A1:XFD1">``), then, streaming,
  each row's number (``<row r>``), its number of cells and each cell's column (``<c r>``),
  and the number of cells of the sheet;
- the number of shared strings (``<sst uniqueCount>``, then each ``<si>``).

Every XML part is scanned, whatever its name (a workbook may name its sheets as it likes);
a part that is not XML is left to openpyxl, which reports it. A file that is not a ZIP is
not refused here: the caller's own « not a workbook » message applies.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import IO
from xml.parsers import expat

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from coopctg.core.formats import format_number
from coopctg.core.text import clean_line

_SEPARATOR = " "  # between an element's namespace and its local name, as expat gives them
_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main ",
    "http://purl.oclc.org/ooxml/spreadsheetml/main ",  # « strict » Open XML
)
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_MEGA = 1024 * 1024


class SpreadsheetRefused(Exception):
    """The workbook crosses a limit; the message is one French sentence."""


@dataclass(frozen=True)
class Limits:
    rows: int  # row numbers, in any sheet
    columns: int  # column numbers (cells per row)
    cells: int = 500_000  # cells in one sheet
    shared_strings: int = 100_000
    parts: int = 1_000
    unpacked_bytes: int = 50 * _MEGA
    ratio: int = 100  # unpacked / packed, for a part of more than ``ratio_from`` bytes
    ratio_from: int = _MEGA


def check_xlsx(stream: IO[bytes], limits: Limits) -> None:
    """Raise :class:`SpreadsheetRefused` when the workbook in ``stream`` crosses ``limits``
    (see the module's documentation); return quietly otherwise, or when ``stream`` is not a
    readable ZIP. Leaves ``stream`` at its start."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_archive(archive, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        pass  # not a (readable) ZIP: openpyxl will say so
    except NotImplementedError:  # a compression method zipfile does not know
        pass
    finally:
        stream.seek(0)


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    parts = archive.infolist()
    if len(parts) > limits.parts:
        raise SpreadsheetRefused(
            f"Le classeur compte trop de parties ({format_number(len(parts), 0)}, "
            f"{format_number(limits.parts, 0)} au plus)."
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.unpacked_bytes:
        raise SpreadsheetRefused(
            f"Le classeur est trop volumineux une fois décompressé ({_megabytes(unpacked)}, "
            f"{_megabytes(limits.unpacked_bytes)} au plus)."
        )
    for part in parts:
        if part.file_size > limits.ratio_from and part.file_size > limits.ratio * max(
            part.compress_size, 1
        ):
            raise SpreadsheetRefused(
                f"Le classeur contient une partie anormalement compressée ({_name(part)} : "
                f"{_megabytes(part.file_size)} pour {_megabytes(part.compress_size)}) : il "
                "n'est pas lu."
            )
    for part in parts:
        if not part.is_dir():
            with archive.open(part) as content:
                _scan(content, limits)


def _name(part: zipfile.ZipInfo) -> str:
    """A part's name as a message shows it: one line, 80 characters at most."""
    name = clean_line(part.filename)
    return name if len(name) <= 80 else name[:79] + "…"


def _megabytes(size: int) -> str:
    return f"{format_number(Decimal(max(size, _MEGA // 10)) / _MEGA, 1, trim=True)} Mo"


def _local(tag: str) -> str | None:
    """The local name of a SpreadsheetML element, None for any other element."""
    for namespace in _NAMESPACES:
        if tag.startswith(namespace):
            return tag[len(namespace) :]
    return None


class _Scanner:
    """Expat handlers that keep nothing (bounded memory): they count rows, cells and shared
    strings as their start tags stream by, and raise at the first crossed limit. A DTD is
    refused, as defusedxml does: no workbook needs one, and entities could expand."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.row = 0  # the current row's number
        self.cells = 0  # cells seen in the current row
        self.column = 0  # the current cell's column
        self.total = 0  # cells seen in the sheet
        self.strings = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag)
        limits = self.limits
        if name == "c":
            self.cells += 1
            self.total += 1
            if self.total > limits.cells:
                raise SpreadsheetRefused(
                    "Le classeur dépasse les limites : une feuille a plus de "
                    f"{format_number(limits.cells, 0)} cellules. Supprimez les lignes et "
                    "colonnes inutiles, puis réessayez."
                )
            reference = attributes.get("r")
            self.column = _column(reference) if reference else self.column + 1
            if self.cells > limits.columns or self.column > limits.columns:
                raise SpreadsheetRefused(_too_wide(self.row, max(self.cells, self.column), limits))
        elif name == "row":
            number = attributes.get("r") or ""
            if number.isdigit():
                self.row = int(number) if len(number) < 10 else limits.rows + 1
            else:
                self.row += 1
            if self.row > limits.rows:
                raise SpreadsheetRefused(_too_long(self.row, limits))
            self.cells = self.column = 0
        elif name == "dimension":
            _check_dimension(attributes.get("ref") or "", limits)
        elif name == "sst":
            declared = attributes.get("uniqueCount") or ""
            if declared.isdigit():
                _check_strings(int(declared) if len(declared) < 10 else 10**9, limits)
        elif name == "si":
            self.strings += 1
            _check_strings(self.strings, limits)

    def doctype(self, *args: object) -> None:
        raise SpreadsheetRefused(
            "Le classeur contient une déclaration de type de document (DTD), qu'aucun classeur "
            "Excel ne contient : il n'est pas lu."
        )


def _scan(content: IO[bytes], limits: Limits) -> None:
    scanner = _Scanner(limits)
    parser = expat.ParserCreate(namespace_separator=_SEPARATOR)
    parser.StartElementHandler = scanner.start
    parser.StartDoctypeDeclHandler = scanner.doctype
    parser.EntityDeclHandler = scanner.doctype
    try:
        while chunk := content.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        return  # not XML (an image…) or broken XML: openpyxl reports what matters


def _column(reference: str) -> int:
    match = _CELL_REF.fullmatch(reference)
    return column_index_from_string(match.group(1).upper()) if match else 0


def _check_dimension(reference: str, limits: Limits) -> None:
    last = reference.rpartition(":")[2]
    match = _CELL_REF.fullmatch(last)
    if match is None:
        return  # a malformed range: the cells themselves are checked
    column = column_index_from_string(match.group(1).upper())
    row = int(match.group(2))
    if column > limits.columns:
        raise SpreadsheetRefused(_too_wide(None, column, limits))
    if row > limits.rows:
        raise SpreadsheetRefused(_too_long(row, limits))


def _check_strings(count: int, limits: Limits) -> None:
    if count > limits.shared_strings:
        raise SpreadsheetRefused(
            f"Le classeur contient trop de textes différents (plus de "
            f"{format_number(limits.shared_strings, 0)})."
        )


def _too_wide(row: int | None, column: int, limits: Limits) -> str:
    where = f"la ligne {row} a" if row else "une feuille a"
    last = get_column_letter(min(limits.columns, 18_278))
    return (
        f"Le classeur dépasse les limites : {where} des cellules au-delà de la colonne {last} "
        f"({format_number(limits.columns, 0)} colonnes au plus ; colonne n° "
        f"{format_number(min(column, 10**9), 0)}). Supprimez les colonnes inutiles, "
        "puis réessayez."
    )


def _too_long(row: int, limits: Limits) -> str:
    return (
        f"Le classeur dépasse les limites : une feuille a des lignes au-delà de la ligne "
        f"{format_number(limits.rows, 0)} (ligne {format_number(min(row, 10**9), 0)}). "
        "Supprimez les lignes inutiles, puis réessayez."
    )
