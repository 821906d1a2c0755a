"""Every PDF of the application goes through :func:`html_to_pdf`: WeasyPrint, tagged.

The documents are produced as PDF/UA-1 (``pdf_variant="pdf/ua-1"``): a structure tree (headings,
paragraphs, tables, lists) that screen readers follow, the document's language (the ``lang``
of the HTML) and its title (the HTML ``<title>``) in the metadata — the accessible PDF that
the RGAA expects of documents handed to the public and to partners.
"""

from __future__ import annotations

from collections.abc import Callable

#: The PDF variant of every document (WeasyPrint's name).
PDF_VARIANT = "pdf/ua-1"


#: Told where a long rendering stands: (percent done, French step).
Progress = Callable[[int, str], None]


def html_to_pdf(html: str, progress: Progress | None = None) -> bytes:
    """The tagged PDF of ``html`` (a whole document, with ``lang`` and ``<title>``).

    ``progress`` (the background task's, :mod:`coopctg.background.services`) hears of the two
    stages: the layout of the pages, then the writing of the PDF.
    """
    import weasyprint  # heavy import, only when a PDF is asked for

    if progress:
        progress(10, "Mise en page")
    document = weasyprint.HTML(string=html, base_url=None).render(pdf_variant=PDF_VARIANT)
    if progress:
        pages = len(document.pages)
        progress(60, f"Écriture du PDF ({pages} page{'s' if pages > 1 else ''})")
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf
