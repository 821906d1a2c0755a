"""Checks of an uploaded compte rendu (minutes) before it is stored (pure module).

Accepted: PDF, DOCX and ODT, at most 10 Mo. The extension must be one of these AND the content
must match it: a PDF starts with ``%PDF-``; a DOCX and an ODT are zip archives (``PK\\x03\\x04``)
holding ``word/document.xml`` (DOCX) or a ``mimetype`` entry that reads
``application/vnd.oasis.opendocument.text`` (ODT). A file renamed to another extension is
refused.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePath
from typing import IO

MAX_BYTES = 10 * 1024 * 1024  # 10 Mo
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
ZIP_SIGNATURE = b"PK\x03\x04"

CONTENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
}
_KIND_LABELS = {".pdf": "un PDF", ".docx": "un document DOCX", ".odt": "un document ODT"}


class MinutesRejected(ValueError):
    """The file is not accepted; the message is one French sentence."""


def extension_of(name: str) -> str:
    return PurePath(name).suffix.lower()


def format_size(size: int) -> str:
    """``12_582_912`` → ``"12 Mo"``; under 1 Mo, in ko (French units, comma decimals)."""
    if size >= 1024 * 1024:
        value = f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")
        return f"{value}\u00a0Mo"
    return f"{max(1, round(size / 1024))}\u00a0ko"


def _is_docx(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_odt(archive: zipfile.ZipFile) -> bool:
    try:
        info = archive.getinfo("mimetype")
    except KeyError:
        return False
    if info.file_size > 100:
        return False
    return archive.read(info).strip() == ODT_MIMETYPE


def check_minutes(name: str, size: int, stream: IO[bytes]) -> str:
    """Check an uploaded file; return its content type. Raises :class:`MinutesRejected`.

    ``stream`` must be seekable; it is left at its start.
    """
    extension = extension_of(name)
    if extension not in CONTENT_TYPES:
        raise MinutesRejected(
            "Le compte rendu doit être un fichier PDF, DOCX ou ODT (extension .pdf, .docx ou .odt)."
        )
    if size <= 0:
        raise MinutesRejected("Le fichier est vide.")
    if size > MAX_BYTES:
        raise MinutesRejected(
            f"Le fichier pèse {format_size(size)} : la taille maximale est de "
            f"{format_size(MAX_BYTES)}."
        )
    refused = MinutesRejected(
        f"Le contenu du fichier ne correspond pas à {_KIND_LABELS[extension]} "
        f"(extension {extension}) : le fichier a peut-être été renommé."
    )
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    try:
        if extension == ".pdf":
            if not head.startswith(b"%PDF-"):
                raise refused
        else:
            if not head.startswith(ZIP_SIGNATURE):
                raise refused
            try:
                with zipfile.ZipFile(stream) as archive:
                    valid = _is_docx(archive) if extension == ".docx" else _is_odt(archive)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
                raise refused from None
            if not valid:
                raise refused
    finally:
        stream.seek(0)
    return CONTENT_TYPES[extension]
