"""Every PDF of the application goes through :func:`html_to_pdf`: WeasyPrint, tagged.

The documents are produced as PDF/UA-1 (``pdf_variant="pdf/ua-1"``): a structure tree (headings,
paragraphs, tables, lists) that screen readers follow, the document's language (the ``lang``
of the HTML) and its title (the HTML ``<title>``) in the metadata — the accessible PDF that
the RGAA expects of documents handed to the public and to partners.
"""

from __future__ import annotations

#: The PDF variant of every document (WeasyPrint's name).
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """The tagged PDF of ``html`` (a whole document, with ``lang`` and ``<title>``)."""
    import weasyprint  # heavy import, only when a PDF is asked for

    pdf: bytes = weasyprint.HTML(string=html, base_url=None).write_pdf(pdf_variant=PDF_VARIANT)
    return pdf
