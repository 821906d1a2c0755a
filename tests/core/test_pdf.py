"""Every PDF is tagged (PDF/UA-1): structure tree, language and title for screen readers."""

import shutil
import subprocess

import pytest

from coopctg.core.pdf import html_to_pdf

HTML = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Bilan annuel d'activité 2024</title></head><body>
<h1>Bilan annuel</h1><p>Texte.</p><table><tr><th>Année</th></tr><tr><td>2024</td></tr></table>
</body></html>"""


def pdfinfo(pdf: bytes, *options: str) -> str:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo absent (paquet poppler-utils) : structure du PDF non vérifiée")
    return subprocess.run(
        ["pdfinfo", *options, "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_pdfs_are_tagged_with_language_and_title():
    pdf = html_to_pdf(HTML)
    assert pdf.startswith(b"%PDF")
    info = pdfinfo(pdf)
    assert "Tagged:          yes" in info  # the structure tree screen readers follow
    assert "Title:           Bilan annuel d'activité 2024" in info
    meta = pdfinfo(pdf, "-meta")
    assert 'pdfuaid:part="1"' in meta  # declared PDF/UA-1


@pytest.mark.parametrize(
    "module",
    [
        "coopctg.agreements.documents",
        "coopctg.recruitment.documents",
        "coopctg.funding.documents",
        "coopctg.reports.documents",
        "coopctg.reports.evaluation",
    ],
)
def test_every_pdf_goes_through_the_tagged_writer(module):
    """No document calls WeasyPrint on its own (it would lose the tags)."""
    import importlib
    import inspect

    source = inspect.getsource(importlib.import_module(module))
    assert "weasyprint" not in source and "html_to_pdf" in source
