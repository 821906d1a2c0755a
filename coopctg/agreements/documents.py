"""The PDF of a signed Cof version: the financial annex of its architecture, titled with the
version (« Cof n° … — Cof initiale » / « Cof n° … — Avenant n°1 ») and its effective date.

The HTML is the funding annex (:func:`coopctg.funding.documents.annexe_context`, template
``funding/pdf/annexe_financiere.html``) included by ``agreements/pdf/version.html`` with the
version's title; WeasyPrint turns it into a PDF.
"""

import datetime as dt

from django.template.loader import render_to_string

from coopctg.agreements.models import AgreementVersion
from coopctg.core.formats import format_date
from coopctg.core.pdf import html_to_pdf
from coopctg.funding.documents import annexe_context, prepare
from coopctg.funding.services import load_architecture

PDF_TEMPLATE = "agreements/pdf/version.html"


def version_title(version: AgreementVersion) -> str:
    """« Cof n° COF-37-2022-001 — Avenant n°1 »."""
    return f"Cof n° {version.cof.numero} — {version.label}"


def version_context(
    version: AgreementVersion, *, today: dt.date | None = None
) -> dict[str, object]:
    context = annexe_context(prepare(load_architecture(version.architecture_id), today))
    context |= {
        "title": version_title(version),
        "date_effet": format_date(version.date_effet),
        "version_label": version.label,
    }
    return context


def version_html(version: AgreementVersion, *, today: dt.date | None = None) -> str:
    html: str = render_to_string(PDF_TEMPLATE, version_context(version, today=today))
    return html


def version_pdf(version: AgreementVersion, *, today: dt.date | None = None) -> bytes:
    return html_to_pdf(version_html(version, today=today))
