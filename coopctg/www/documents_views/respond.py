"""Every PDF of the web pages, through one answer (README, « Documents préparés en
arrière-plan »): the PDF when the task worker has made it, otherwise the page « Document en
préparation… » whose status refreshes itself (htmx polling the same URL, a live region), then
the link; after a failure, a French message and a « Réessayer » button (POST to the same URL).

Each PDF view keeps its URL and its access rule (the object fetched for the user, 404
otherwise) and hands its HTML here: the status and the retry go through that same view, so
they obey the same rule. A reader sees the document of what they may see: the HTML, hence the
document's key, is computed from their own view of the data.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from coopctg.background import services
from coopctg.background.models import GeneratedDocument

#: Seconds between two looks at the status, while the document is in preparation.
POLL_SECONDS = 2
METHODS = ("GET", "HEAD", "POST")


def serve_pdf(
    request: HttpRequest,
    kind: str,
    html: Callable[[], str],
    *,
    filename: str,
    title: str,
    back: tuple[str, str],
) -> HttpResponse:
    """The answer of a PDF URL: ``html`` builds the document's source (cheap; the PDF is not)."""
    if request.method not in METHODS:
        return HttpResponseNotAllowed(METHODS)
    document = services.request_pdf(kind, html())
    return respond(request, document, filename=filename, title=title, back=back)


def respond(
    request: HttpRequest,
    document: GeneratedDocument,
    *,
    filename: str,
    title: str,
    back: tuple[str, str],
) -> HttpResponse:
    """The PDF, or its status (the whole page, or the fragment htmx polls), or a retry (POST)."""
    if request.method not in METHODS:
        return HttpResponseNotAllowed(METHODS)
    if request.method == "POST":
        document = services.retry(document)
        if not request.htmx:  # type: ignore[attr-defined]
            return redirect(request.get_full_path())
    if document.is_ready and not request.htmx:  # type: ignore[attr-defined]
        with document.file.open("rb") as handle:
            content = handle.read()
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, filename)
        return response
    context = {
        "document": document,
        "url": request.get_full_path(),
        "title": title,
        "back_url": back[0],
        "back_label": back[1],
        "poll_seconds": POLL_SECONDS,
        "pending": document.status in (services.Status.ATTENTE, services.Status.EN_COURS),
        "can_retry": services.can_retry(document),
        "position": (
            services.queue_position(document)
            if document.status == services.Status.ATTENTE
            else None
        ),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "documents/_status.html", context)
    status = 503 if document.is_failed else 202
    return render(request, "documents/preparing.html", context, status=status)
