"""The Caf's budget sheet: the funding due for a calendar year to each collectivité the user
sees, per envelope, prorated by days across the signed Cof versions in force."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from coopctg.accounts.access import (
    scope_of,
    visible_cafs,
    visible_collectivites,
)
from coopctg.agreements.annual import (
    MAX_YEAR,
    MIN_YEAR,
    BudgetYear,
    budget_xlsx,
    budget_year,
    envelope_labels,
)
from coopctg.funding.rules import Envelope
from coopctg.organisations.models import Caf
from coopctg.www.selection import checked_year, requested_caf, requested_year


def _budget(request: HttpRequest, caf: Caf, annee: int) -> BudgetYear:
    return budget_year(visible_collectivites(request.user).filter(caf=caf), annee)


def index(request: HttpRequest) -> HttpResponse:
    """``/budget/``: the current year (or ``?annee=AAAA``)."""
    caf = requested_caf(request)
    annee = requested_year(request)
    url = reverse("budget:annual", args=[annee])
    if request.GET.get("caf"):
        url += "?" + urlencode({"caf": caf.code})
    return redirect(url)


def annual(request: HttpRequest, annee: int) -> HttpResponse:
    annee = checked_year(annee)
    caf = requested_caf(request)
    budget = _budget(request, caf, annee)
    labels = envelope_labels(caf.code, annee)
    query = "?" + urlencode({"caf": caf.code}) if request.GET.get("caf") else ""
    cafs = list(visible_cafs(request.user).order_by("code"))
    context: dict[str, Any] = {
        "caf": caf,
        "cafs": cafs if len(cafs) > 1 else [],
        "annee": annee,
        "budget": budget,
        "envelopes": [labels[envelope] for envelope in Envelope],
        "rows": [
            {
                "collectivite": row.collectivite,
                "code": row.code,
                "amounts": [row.funding.envelopes[envelope] for envelope in Envelope],
                "total": row.funding.total,
                "periods": row.funding.periods,
            }
            for row in budget.rows
        ],
        "totals": [budget.envelopes[envelope] for envelope in Envelope],
        "whole_caf": caf.pk in scope_of(request.user).caf_wide_ids,
        "previous": annee - 1 if annee > MIN_YEAR else None,
        "next": annee + 1 if annee < MAX_YEAR else None,
        "current": timezone.localdate().year,
        "query": query,
    }
    return render(request, "budget/annual.html", context)


def annual_xlsx(request: HttpRequest, annee: int) -> HttpResponse:
    annee = checked_year(annee)
    caf = requested_caf(request)
    response = HttpResponse(
        budget_xlsx(_budget(request, caf, annee), caf),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="budget-{caf.code}-{annee}.xlsx"'
    return response
