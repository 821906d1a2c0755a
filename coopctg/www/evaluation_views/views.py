"""The évaluation de fin de Ctg: a page and its PDF, for whoever sees the Ctg."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from coopctg.accounts.access import get_ctg_for_user
from coopctg.agreements.access import visible_cofs
from coopctg.reports import evaluation as services


def _evaluation(request: HttpRequest, ctg_pk: int) -> services.CtgEvaluation:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    return services.ctg_evaluation(ctg, visible_cofs(request.user))


def ctg_evaluation(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    evaluation = _evaluation(request, ctg_pk)
    return render(request, "evaluation/ctg.html", {"ctg": evaluation.ctg, "evaluation": evaluation})


def ctg_evaluation_pdf(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    evaluation = _evaluation(request, ctg_pk)
    response = HttpResponse(services.evaluation_pdf(evaluation), content_type="application/pdf")
    name = slugify(evaluation.ctg.intitule)[:60] or "ctg"
    response["Content-Disposition"] = f'inline; filename="evaluation-{name}.pdf"'
    return response
