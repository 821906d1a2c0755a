"""The référentiel, readable by every signed-in user: a version, its table of contents, a search.

``/referentiel/`` shows the most recent version, ``/referentiel/<code>/`` a given one; both
take ``?q=`` to search the version shown. Each page costs a fixed number of queries: the list of
versions, then the 6 queries of :func:`framework_contents`, whatever the size of the version.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from coopctg.framework.loader import framework_contents, versions_newest_first
from coopctg.framework.models import FrameworkVersion
from coopctg.framework.search import MAX_QUERY_LENGTH, search


def index(request: HttpRequest) -> HttpResponse:
    versions = list(versions_newest_first())
    return _render(request, versions[0] if versions else None, versions, on_index=True)


def version_detail(request: HttpRequest, code: str) -> HttpResponse:
    versions = list(versions_newest_first())
    version = next((v for v in versions if v.code == code), None)
    if version is None:
        raise Http404("Version du référentiel introuvable.")
    return _render(request, version, versions, on_index=False)


def _render(
    request: HttpRequest,
    version: FrameworkVersion | None,
    versions: list[FrameworkVersion],
    *,
    on_index: bool,
) -> HttpResponse:
    q = " ".join(request.GET.get("q", "")[:MAX_QUERY_LENGTH].split())
    is_latest = bool(versions) and version == versions[0]
    crumbs: list[tuple[str, str | None]] = [("Accueil", reverse("home"))]
    if version is None or (on_index and not q):
        crumbs.append(("Référentiel", None))
    else:
        crumbs.append(("Référentiel", reverse("framework:index")))
        if not on_index:
            version_url = reverse("framework:version", args=[version.code])
            crumbs.append((f"Version {version.code}", version_url if q else None))
        if q:
            crumbs.append(("Recherche", None))
    context: dict[str, Any] = {
        "version": version,
        "versions": versions,
        "is_latest": is_latest,
        "q": q,
        "crumbs": crumbs,
        "contents": None,
        "hits": [],
        "counts": {},
    }
    if version is not None:
        contents = framework_contents(version)
        objectives = contents.objectives
        context["contents"] = contents
        context["counts"] = {
            "missions": len(contents.missions),
            "objectifs": len(objectives),
            "attendus": sum(len(o.attendus.all()) for o in objectives),
        }
        if q:
            context["hits"] = search(contents, q)
    return render(request, "framework/referentiel.html", context)
