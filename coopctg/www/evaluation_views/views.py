"""The évaluation de fin de Ctg: a page and its PDF, for whoever sees the Ctg, one per
signatory collectivité (« à l'échelon de l'Epci ou de la commune », the référentiel says):
``?collectivite=<id>`` chooses among the signatories the reader sees (the first by default)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from coopctg.accounts.access import get_ctg_for_user, visible_collectivites
from coopctg.agreements.access import visible_cofs
from coopctg.reports import evaluation as services
from coopctg.www.documents_views.respond import serve_pdf


def _evaluation(request: HttpRequest, ctg_pk: int) -> tuple[services.CtgEvaluation, list[Any]]:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    signatories = list(
        visible_collectivites(request.user).filter(ctgs=ctg).order_by("nom").distinct()
    )
    wanted = request.GET.get("collectivite", "")
    chosen = next((c for c in signatories if str(c.pk) == wanted), None)
    if chosen is None and signatories:
        chosen = signatories[0]
    return services.ctg_evaluation(ctg, visible_cofs(request.user), collectivite=chosen), (
        signatories
    )


def ctg_evaluation(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    evaluation, signatories = _evaluation(request, ctg_pk)
    pdf_url = reverse("evaluation:pdf", args=[ctg_pk])
    if evaluation.collectivite is not None:
        pdf_url += f"?collectivite={evaluation.collectivite.pk}"
    return render(
        request,
        "evaluation/ctg.html",
        {
            "ctg": evaluation.ctg,
            "evaluation": evaluation,
            "signatories": signatories,
            "pdf_url": pdf_url,
        },
    )


def ctg_evaluation_pdf(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    """The évaluation's PDF, made by the task worker (coopctg.www.documents_views.respond)."""
    evaluation, _ = _evaluation(request, ctg_pk)
    name = slugify(evaluation.ctg.intitule)[:50] or "ctg"
    title = f"Évaluation de fin de Ctg — {evaluation.ctg.intitule}"
    back_url = reverse("evaluation:ctg", args=[ctg_pk])
    if evaluation.collectivite is not None:
        name += "-" + (slugify(evaluation.collectivite.nom)[:40] or "collectivite")
        title += f" ({evaluation.collectivite.nom})"
        back_url += f"?collectivite={evaluation.collectivite.pk}"
    return serve_pdf(
        request,
        "evaluation",
        lambda: services.evaluation_html(evaluation),
        filename=f"evaluation-{name}.pdf",
        title=title,
        back=(back_url, "Évaluation de fin de Ctg"),
    )
