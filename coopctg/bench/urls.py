"""The benchmark's URL configuration: the application's, and the trivial signed-in view that
the pages are measured against (never served outside the benchmark)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from coopctg.urls import handler404, handler500  # noqa: F401
from coopctg.urls import urlpatterns as application

#: Where the benchmark asks for the trivial signed-in view (unnamed: not a page to measure).
TRIVIAL_URL = "/__banc__/vide/"


def trivial(request: HttpRequest) -> HttpResponse:
    """What every signed-in request costs before the page does anything: the middleware, the
    session, the user (read here as every page reads it); no query of its own, no template."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain; charset=utf-8")


urlpatterns = [path(TRIVIAL_URL.strip("/") + "/", trivial), *application]
