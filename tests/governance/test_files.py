"""Checks of the minutes files: extension AND content, size (pure)."""

import io
import zipfile

import pytest

from coopctg.governance.files import MAX_BYTES, MinutesRejected, check_minutes, format_size

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes(mimetype: bytes = b"application/vnd.oasis.opendocument.text") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def check(name: str, content: bytes, size: int | None = None) -> str:
    stream = io.BytesIO(content)
    result = check_minutes(name, len(content) if size is None else size, stream)
    assert stream.tell() == 0
    return result


def test_good_files_are_accepted():
    assert check("cr.pdf", PDF) == "application/pdf"
    assert check("CR Copil.PDF", PDF) == "application/pdf"
    assert check("cr.docx", docx_bytes()).endswith("wordprocessingml.document")
    assert check("cr.odt", odt_bytes()) == "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cr.exe", PDF, "PDF, DOCX ou ODT"),
        ("cr", PDF, "PDF, DOCX ou ODT"),
        ("cr.pdf.html", PDF, "PDF, DOCX ou ODT"),
        ("cr.pdf", b"<html>pas un pdf</html>", "ne correspond pas à un PDF"),
        ("cr.pdf", docx_bytes(), "ne correspond pas à un PDF"),
        ("cr.docx", PDF, "ne correspond pas à un document DOCX"),
        ("cr.docx", odt_bytes(), "ne correspond pas à un document DOCX"),
        ("cr.odt", docx_bytes(), "ne correspond pas à un document ODT"),
        ("cr.odt", odt_bytes(b"application/vnd.oasis.opendocument.spreadsheet"), "ODT"),
        ("cr.docx", b"PK\x03\x04" + b"\x00" * 100, "ne correspond pas à un document DOCX"),
        ("cr.pdf", b"", "vide"),
    ],
)
def test_wrong_files_are_refused(name, content, message):
    with pytest.raises(MinutesRejected, match=message):
        check(name, content)


def test_size_limit_is_10_mo():
    assert check("cr.pdf", PDF, size=MAX_BYTES) == "application/pdf"
    with pytest.raises(MinutesRejected, match="la taille maximale est de 10\u00a0Mo"):
        check("cr.pdf", PDF, size=MAX_BYTES + 1)


def test_format_size():
    assert format_size(MAX_BYTES) == "10\u00a0Mo"
    assert format_size(12_900_000) == "12,3\u00a0Mo"
    assert format_size(2048) == "2\u00a0ko"
