"""The PDF of a version of the diagnostic partagé (:func:`coopctg.core.pdf.html_to_pdf`)."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from coopctg.core.pdf import html_to_pdf
from coopctg.diagnostic.models import Diagnostic
from coopctg.diagnostic.services import diagnostic_content

PDF_TEMPLATE = "diagnostic/pdf/diagnostic.html"


def diagnostic_html(diagnostic: Diagnostic, today: dt.date | None = None) -> str:
    content = diagnostic_content(diagnostic)
    html: str = render_to_string(
        PDF_TEMPLATE,
        {
            "content": content,
            "diagnostic": diagnostic,
            "ctg": diagnostic.ctg,
            "caf": diagnostic.ctg.caf,
            "signataires": list(diagnostic.ctg.signataires.order_by("nom")),
            "today": today or timezone.localdate(),
        },
    )
    return html


def diagnostic_pdf(diagnostic: Diagnostic, today: dt.date | None = None) -> bytes:
    """The diagnostic partagé (A4), tagged PDF."""
    return html_to_pdf(diagnostic_html(diagnostic, today))


def pdf_filename(diagnostic: Diagnostic) -> str:
    name = slugify(diagnostic.ctg.intitule) or str(diagnostic.ctg_id)
    return f"diagnostic-partage-{name}-v{diagnostic.version}.pdf"
