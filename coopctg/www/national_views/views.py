"""The national view (Cnaf): every Caf consolidated, for the national analyst only.

Everything comes from :func:`coopctg.dashboards.national.national_figures` (a fixed number of
queries whatever the number of Caf). Any other role gets a 404: the pages do not exist for a
Caf or a collectivité.
"""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts.access import require_national
from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR, envelope_labels
from coopctg.dashboards.national import (
    DEFAULT_INDICATOR,
    INDICATORS,
    NationalFigures,
    departement_names,
    national_figures,
    national_map,
)
from coopctg.dashboards.national_exports import national_xlsx
from coopctg.funding.rules import Envelope
from coopctg.www.selection import checked_year, requested_year


def _figures(request: HttpRequest, annee: int) -> NationalFigures:
    require_national(request.user)
    return national_figures(checked_year(annee), timezone.localdate())


def _common(figures: NationalFigures) -> dict[str, Any]:
    annee = figures.year
    labels = envelope_labels("national", annee)
    return {
        "annee": annee,
        "today": figures.today,
        "figures": figures,
        "envelopes": [(envelope, labels.get(envelope, envelope.value)) for envelope in Envelope],
        "previous": annee - 1 if annee > MIN_YEAR else None,
        "next": annee + 1 if annee < MAX_YEAR else None,
        "current": timezone.localdate().year,
    }


def index(request: HttpRequest) -> HttpResponse:
    """``/national/``: the current year (or ``?annee=AAAA``)."""
    require_national(request.user)
    return redirect(reverse("national:annual", args=[requested_year(request)]))


def annual(request: HttpRequest, annee: int) -> HttpResponse:
    """Map of France by département, and the figures of each Caf in a table."""
    figures = _figures(request, annee)
    indicator = request.GET.get("indicateur", DEFAULT_INDICATOR)
    if indicator not in INDICATORS:
        indicator = DEFAULT_INDICATOR
    context = _common(figures)
    context.update(
        {
            "indicator": indicator,
            "indicator_label": INDICATORS[indicator][0],
            "indicators": [(key, label) for key, (label, _unit) in INDICATORS.items()],
            "map": national_map(figures, indicator, departement_names()),
            "crumbs": [("Accueil", reverse("home")), (f"Vue nationale {annee}", None)],
        }
    )
    return render(request, "national/annual.html", context)


def budget(request: HttpRequest, annee: int) -> HttpResponse:
    """National budget (€ and Etp per envelope, per Caf) and payments."""
    figures = _figures(request, annee)
    context = _common(figures)
    context["crumbs"] = [
        ("Accueil", reverse("home")),
        (f"Vue nationale {annee}", reverse("national:annual", args=[annee])),
        ("Budget et versements", None),
    ]
    context["per_etp"] = [
        (one, one.total_amount / one.total_etp if one.total_etp else None) for one in figures.cafs
    ]
    context["zero"] = Decimal("0.00")
    return render(request, "national/budget.html", context)


def annual_xlsx(request: HttpRequest, annee: int) -> HttpResponse:
    figures = _figures(request, annee)
    response = HttpResponse(
        national_xlsx(figures),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="vue-nationale-{annee}.xlsx"'
    return response
