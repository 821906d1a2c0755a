"""The Caf's payment schedule: for a calendar year, the amount due under each Cof in force, the
advance at the Caf's dated rate and the balance released once the year's bilan is validated.

Scoping is the budget's: the Caf's admin and analyst see every collectivité of the Caf, the
advisor theirs, a collectivité's users their own (:func:`visible_collectivites`)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from coopctg.accounts.access import (
    scope_of,
    visible_cafs,
    visible_collectivites,
)
from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR
from coopctg.core.formats import format_number
from coopctg.organisations.models import Caf
from coopctg.reports.payments import (
    REPORT_FILTERS,
    STATE_FILTERS,
    PaymentSchedule,
    payment_schedule,
    schedule_csv,
    schedule_xlsx,
)
from coopctg.www.selection import checked_year, requested_caf, requested_year


def _schedule(request: HttpRequest, caf: Caf, annee: int) -> PaymentSchedule:
    return payment_schedule(caf, visible_collectivites(request.user), annee)


def _choice(request: HttpRequest, name: str, choices: list[tuple[str, str]]) -> str:
    value = request.GET.get(name, "")
    return value if value in dict(choices) else ""


def schedule(request: HttpRequest) -> HttpResponse:
    """``/versements/?annee=AAAA``: the current year by default; ``?bilan=`` filters on the
    year's report status, ``?etat=`` on the balance's state."""
    caf = requested_caf(request)
    current = timezone.localdate().year
    annee = requested_year(request)
    bilan = _choice(request, "bilan", REPORT_FILTERS)
    etat = _choice(request, "etat", STATE_FILTERS)
    whole = _schedule(request, caf, annee)
    shown = whole.filtered(report=bilan, state=etat)
    caf_query = {"caf": caf.code} if request.GET.get("caf") else {}
    filters = {key: value for key, value in (("bilan", bilan), ("etat", etat)) if value}
    cafs = list(visible_cafs(request.user).order_by("code"))

    def year_url(year: int) -> str:
        return "?" + urlencode({"annee": year, **caf_query, **filters})

    context: dict[str, Any] = {
        "caf": caf,
        "cafs": cafs if len(cafs) > 1 else [],
        "annee": annee,
        "schedule": shown,
        "rows": shown.rows,
        "totals": shown.totals,
        "count_all": len(whole.rows),
        "filtered": bool(filters),
        "rate_percent": (
            None if whole.rate is None else format_number(whole.rate * 100, 2, trim=True)
        ),
        "parameter_error": whole.parameter_error,
        "report_filters": REPORT_FILTERS,
        "state_filters": STATE_FILTERS,
        "bilan": bilan,
        "etat": etat,
        "whole_caf": caf.pk in scope_of(request.user).caf_wide_ids,
        "previous_url": year_url(annee - 1) if annee > MIN_YEAR else "",
        "next_url": year_url(annee + 1) if annee < MAX_YEAR else "",
        "current_url": year_url(current) if annee != current else "",
        "previous": annee - 1,
        "next": annee + 1,
        "current": current,
        "export_query": "?" + urlencode(caf_query) if caf_query else "",
    }
    return render(request, "payments/schedule.html", context)


def schedule_xlsx_view(request: HttpRequest, annee: int) -> HttpResponse:
    annee = checked_year(annee)
    caf = requested_caf(request)
    response = HttpResponse(
        schedule_xlsx(_schedule(request, caf, annee)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="versements-{caf.code}-{annee}.xlsx"'
    return response


def schedule_csv_view(request: HttpRequest, annee: int) -> HttpResponse:
    """UTF-8 with its BOM, so that a spreadsheet opens the accents right."""
    annee = checked_year(annee)
    caf = requested_caf(request)
    response = HttpResponse(
        schedule_csv(_schedule(request, caf, annee)).encode("utf-8-sig"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="versements-{caf.code}-{annee}.csv"'
    return response
