"""Tableaux de bord (collectivité, Caf) and échéances.

Every object goes through :mod:`coopctg.accounts.access`: a collectivité or a Caf the user
may not see is a 404. The data comes from :mod:`coopctg.dashboards.services` in a fixed number
of queries; the charts are server-rendered SVG (:mod:`coopctg.dashboards.charts`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe

from coopctg.accounts.access import get_collectivite_for_user, scope_of, visible_collectivites
from coopctg.core.formats import format_etp, format_euros, format_number
from coopctg.core.themes import Theme
from coopctg.core.versions import PerCafMemo
from coopctg.dashboards import charts, services
from coopctg.dashboards.services import (
    Category,
    CtgState,
    EnvelopeLine,
    TerritoryRow,
    envelope_lines,
    territory_rows,
    upcoming_meetings,
)
from coopctg.dashboards.tasks import (
    DEADLINE_KINDS,
    Deadline,
    actionable_by,
    for_reader,
    tasks_of,
)
from coopctg.diagnostic.dashboard import ctg_panels
from coopctg.funding.rules import Envelope
from coopctg.governance.rules import MeetingKind
from coopctg.governance.rules import Status as PeriodStatus
from coopctg.indicators.services import build_fiche, key_lines
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.participation.dashboard import ctg_panels as population_panels
from coopctg.partners.services import facts_of_ctgs
from coopctg.territories import svgmap
from coopctg.territories.models import Epci
from coopctg.www.pagination import CafChoice, caf_choice, paginate
from coopctg.www.territories_views.views import epci_sort_key, label_lines, short_name

MAP_WIDTH = 600
#: Map fill colour of each category (presentation attributes: no inline style); each one at
#: least 3:1 against the white borders, and the legend and table say the same in words.
CATEGORY_FILLS = {
    Category.BILAN_RETARD: "#b3261e",
    Category.GOUVERNANCE: "#c25e00",
    Category.ANOMALIE: "#8e4585",
    Category.A_JOUR: "#2e7d32",
    Category.SANS_CTG: "#8a8f98",
}
CATEGORY_ORDER = list(Category)
#: A second channel beside the colour, written on the map and in its legend (RGAA 3.1).
CATEGORY_MARKERS = {
    Category.BILAN_RETARD: "B",
    Category.GOUVERNANCE: "G",
    Category.ANOMALIE: "A",
    Category.A_JOUR: "✓",
    Category.SANS_CTG: "–",
}
BADGES = {
    PeriodStatus.CONFORME: "badge-success",
    PeriodStatus.NON_CONFORME: "badge-error",
    PeriodStatus.EN_COURS: "badge-warning",
    PeriodStatus.A_VENIR: "",
    PeriodStatus.SANS_OBJET: "",
}


def _today() -> dt.date:
    today: dt.date = timezone.localdate()
    return today


def _year(request: HttpRequest, today: dt.date) -> int:
    try:
        year = int(request.GET.get("annee", today.year))
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Accueil", reverse("home")), *items]


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{format_number(value, 1, trim=True)} %"


# --- Charts -------------------------------------------------------------------------------------


def progress_chart(state: CtgState) -> dict[str, Any]:
    """Average progress per thématique (the themes with actions), count and overdue."""
    rows = []
    bars = []
    for code, theme in state.plan["by_theme"].items():
        if not theme["actions"]:
            continue
        mean = theme["mean_progress"]
        overdue = theme["overdue"]
        note = f"{theme['actions']} action{'s' if theme['actions'] > 1 else ''}"
        if overdue:
            note += f", {overdue} en retard"
        bars.append(
            charts.Bar(
                label=theme["label"],
                value=mean or Decimal(0),
                display=_percent(mean),
                css_class="db-bar db-bar-alert" if overdue else "db-bar",
                note=note,
            )
        )
        rows.append({"code": code, **theme, "mean_label": _percent(mean)})
    svg = charts.responsive_bars(
        f"avancement-{state.ctg.pk}",
        f"Avancement moyen des actions par thématique — {state.ctg.intitule}",
        bars,
        maximum=Decimal(100),
    )
    return {"svg": mark_safe(svg), "rows": rows}  # escaped by charts


def envelope_charts(lines: list[EnvelopeLine], prefix: str, year: int) -> dict[str, Any]:
    euros = charts.responsive_bars(
        f"{prefix}-euros",
        f"Financement dû au titre de {year}, par enveloppe",
        [
            charts.Bar(line.label, line.amount, format_euros(line.amount), f"db-bar db-env-{i}")
            for i, line in enumerate(lines, start=1)
        ],
        label_width=250,
    )
    etp = charts.responsive_bars(
        f"{prefix}-etp",
        "Etp financés en vigueur, par enveloppe",
        [
            charts.Bar(line.label, line.etp, format_etp(line.etp), f"db-bar db-env-{i}")
            for i, line in enumerate(lines, start=1)
        ],
        label_width=250,
    )
    return {"euros": mark_safe(euros), "etp": mark_safe(etp)}  # escaped by charts


def status_chart(rows: list[TerritoryRow]) -> SafeString:
    counts = {category: 0 for category in CATEGORY_ORDER}
    for row in rows:
        counts[row.category] += 1
    return mark_safe(  # escaped by charts
        charts.responsive_stacked_bar(
            "etats",
            "Collectivités par état",
            [
                charts.Segment(c.label, counts[c], f"db-cat-{c.value}")
                for c in CATEGORY_ORDER
                if counts[c]
            ],
        )
    )


def governance_rows(state: CtgState) -> list[dict[str, Any]]:
    """One row per year: its Copil, and its two Cotech semesters (None outside the Ctg)."""
    years: dict[int, dict[str, Any]] = {}
    for period in state.governance.periods:
        row = years.setdefault(period.period.year, {"year": period.period.year})
        slot = "copil" if period.kind is MeetingKind.COPIL else f"s{period.period.half}"
        row[slot] = {"period": period, "badge": BADGES[period.status]}
    return [{"copil": None, "s1": None, "s2": None} | years[y] for y in sorted(years)]


# --- Index ----------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """The user's dashboard: their Caf's for Caf staff, else their collectivité's."""
    scope = scope_of(request.user)
    caf = Caf.objects.filter(id__in=scope.caf_ids).order_by("code").first()
    if caf is not None:
        return redirect("dashboards:caf", code=caf.code)
    collectivite = visible_collectivites(request.user).order_by("nom").first()
    if collectivite is None:
        raise Http404("Page introuvable.")
    return redirect("dashboards:collectivite", pk=collectivite.pk)


# --- Collectivité ---------------------------------------------------------------------------------


#: What a collectivité's dashboard shows, kept until its Caf's data change
#: (:mod:`coopctg.core.versions`): about 100 kB each.
_COLLECTIVITE_BOARDS = PerCafMemo("tableau de bord d'une collectivité", size=256)


def _collectivite_board(collectivite: LocalAuthority, year: int, today: dt.date) -> dict[str, Any]:
    """Everything the collectivité's dashboard shows but who must act (marked per reader)."""
    rows = territory_rows(LocalAuthority.objects.filter(pk=collectivite.pk), year, today)
    row = rows[0]
    meetings = upcoming_meetings([s.ctg for s in row.ctgs], today)
    panels = ctg_panels([s.ctg for s in row.ctgs], today)
    population = population_panels([s.ctg for s in row.ctgs], today)
    partners = facts_of_ctgs([s.ctg.pk for s in row.ctgs], year)
    boards = [
        {
            "state": state,
            "chart": progress_chart(state),
            "governance_rows": governance_rows(state),
            "meetings": meetings[state.ctg.pk],
            "panel": panels[state.ctg.pk],
            "population": population[state.ctg.pk],
            "partners": partners[state.ctg.pk],
        }
        for state in row.ctgs
    ]
    lines = envelope_lines(rows, collectivite.caf.code, year)
    diagnostic = key_lines(build_fiche(collectivite, with_map=False))
    return {
        "diagnostic": diagnostic,
        "diagnostic_fictif": any(line.fictif for line in diagnostic),
        "row": row,
        "boards": boards,
        "lines": lines,
        "envelope_charts": envelope_charts(lines, "financement", year),
        "tasks": tasks_of(LocalAuthority.objects.filter(pk=collectivite.pk), today),
        "category_fill": CATEGORY_FILLS[row.category],
    }


def collectivite(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = get_collectivite_for_user(request.user, pk)
    today = _today()
    year = _year(request, today)
    board = _COLLECTIVITE_BOARDS.one(
        collectivite.caf_id,
        (collectivite.pk, year, today),
        lambda: _collectivite_board(collectivite, year, today),
    )
    return render(
        request,
        "dashboards/collectivite.html",
        {
            **board,
            "collectivite": collectivite,
            "year": year,
            "today": today,
            "deadlines": for_reader(request.user, board["tasks"]),
            "crumbs": _crumbs(
                (collectivite.nom, reverse("organisations:collectivite", args=[collectivite.pk])),
                ("Tableau de bord", None),
            ),
        },
    )


# --- Caf ----------------------------------------------------------------------------------------


#: The filters of the Caf dashboard's table (``?etat=``…).
FILTERS = ("etat", "enveloppe", "theme", "q")


def _filtered(
    rows: list[TerritoryRow], request: HttpRequest
) -> tuple[list[TerritoryRow], dict[str, str]]:
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    filters["q"] = filters["q"].strip()
    result = rows
    if filters["etat"] in {c.value for c in Category}:
        result = [r for r in result if r.category == filters["etat"]]
    if filters["enveloppe"] in {e.value for e in Envelope}:
        envelope = Envelope(filters["enveloppe"])
        result = [r for r in result if r.funding.envelopes[envelope] > 0 or r.etp[envelope] > 0]
    if filters["theme"] in {t.value for t in Theme}:
        result = [r for r in result if any(filters["theme"] in s.ctg.themes for s in r.ctgs)]
    if filters["q"]:
        needle = filters["q"].casefold()
        result = [
            r
            for r in result
            if needle in r.collectivite.nom.casefold()
            or any(needle in s.ctg.intitule.casefold() for s in r.ctgs)
        ]
    return result, filters


def _map(rows: list[TerritoryRow], caf: Caf) -> dict[str, Any]:
    """The EPCI of the Caf's département, each coloured by the worst state of the
    collectivités on its territory (the EPCI itself or its communes)."""
    epcis = sorted(
        Epci.objects.filter(communes__departement__caf=caf).distinct(), key=epci_sort_key
    )
    siren_of = {epci.pk: epci.siren for epci in epcis}
    worst: dict[str, Category] = {}
    names: dict[str, list[str]] = {}
    for row in rows:
        la = row.collectivite
        if la.epci_id:
            siren = la.epci.siren
        elif la.commune_id and la.commune.epci_id:
            siren = siren_of.get(la.commune.epci_id, "")
        else:
            continue
        names.setdefault(siren, []).append(f"{la.nom} : {row.category.label}")
        current = worst.get(siren)
        if current is None or CATEGORY_ORDER.index(row.category) < CATEGORY_ORDER.index(current):
            worst[siren] = row.category
    svg_map = svgmap.build_map(
        ((epci.siren, epci.geometrie) for epci in epcis), width=MAP_WIDTH, padding=6
    )
    shapes = {shape.key: shape for shape in svg_map.shapes}
    items = []
    for epci in epcis:
        category = worst.get(epci.siren, Category.SANS_CTG)
        items.append(
            {
                "epci": epci,
                "shape": shapes.get(epci.siren),
                "label": label_lines(short_name(epci.nom)),
                "category": category,
                "fill": CATEGORY_FILLS[category],
                "marker": CATEGORY_MARKERS[category],
                "details": names.get(epci.siren, []),
            }
        )
    legend = [(c, CATEGORY_FILLS[c], CATEGORY_MARKERS[c]) for c in CATEGORY_ORDER]
    return {"svg_map": svg_map, "items": items, "legend": legend}


#: The map of a whole Caf, kept until its data change (:mod:`coopctg.core.versions`): its EPCI
#: outlines projected and their states (a few tens of kB).
_CAF_MAPS = PerCafMemo("carte d'une Caf", size=64)


def _caf_map(
    rows: list[TerritoryRow], caf: Caf, year: int, today: dt.date, *, whole: bool
) -> dict[str, Any]:
    """:func:`_map`, kept when the rows are the whole Caf's (not an advisor's share)."""
    if not whole:
        return _map(rows, caf)
    return _CAF_MAPS.one(caf.pk, (year, today), lambda: _map(rows, caf))


#: The content of a whole Caf's dashboard without filters (its landing page), kept until the
#: Caf's data change (:mod:`coopctg.core.versions`): about 60 kB of HTML.
_CAF_PAGES = PerCafMemo("tableau de bord d'une Caf", size=64)


def caf(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_of(request.user)
    try:
        caf = Caf.objects.select_related("departement").get(code=code, id__in=scope.caf_ids)
    except Caf.DoesNotExist as error:
        raise Http404("Page introuvable.") from error
    today = _today()
    year = _year(request, today)
    whole = caf.pk in scope.caf_wide_ids
    if whole and not any(request.GET.get(name, "").strip() for name in FILTERS):
        content = _CAF_PAGES.one(
            caf.pk, (year, today), lambda: _caf_content(request, caf, year, today, whole=True)
        )
    else:
        content = _caf_content(request, caf, year, today, whole=whole)
    return render(
        request,
        "dashboards/caf.html",
        {"caf": caf, "content": content, "crumbs": _crumbs((f"Tableau de bord — {caf.nom}", None))},
    )


def _caf_content(
    request: HttpRequest, caf: Caf, year: int, today: dt.date, *, whole: bool
) -> SafeString:
    """The dashboard of the Caf, as the person sees it (the collectivités they follow, the
    filters of the request); the same for every person who sees the whole Caf without
    filters."""
    collectivites = visible_collectivites(request.user).filter(caf=caf)
    rows = territory_rows(collectivites, year, today)
    shown, filters = _filtered(rows, request)
    lines = envelope_lines(rows, caf.code, year)
    counts = {c: sum(1 for r in rows if r.category == c) for c in CATEGORY_ORDER}
    panels = ctg_panels(
        {s.ctg.pk: s.ctg for r in shown for s in r.ctgs}.values(), today, with_targets=False
    )
    return render_to_string(
        "dashboards/_caf_content.html",
        {
            "caf": caf,
            "rows": shown,
            "total_rows": len(rows),
            "year": year,
            "today": today,
            "lines": lines,
            "total_amount": sum((line.amount for line in lines), Decimal("0.00")),
            "total_etp": sum((line.etp for line in lines), Decimal("0.00")),
            "envelope_charts": envelope_charts(lines, "caf", year),
            "status_chart": status_chart(rows),
            "counts": [(c, counts[c], CATEGORY_FILLS[c]) for c in CATEGORY_ORDER],
            "map": _caf_map(rows, caf, year, today, whole=whole),
            "filters": filters,
            "categories": CATEGORY_ORDER,
            "envelopes": [(line.envelope.value, line.label) for line in lines],
            "themes": [(t.value, t.label) for t in Theme],
            "whole_caf": whole,
            "mission2": [(r, [panels[s.ctg.pk] for s in r.ctgs]) for r in shown if r.ctgs],
        },
    )


# --- Échéances ----------------------------------------------------------------------------------


def _deadlines_in_scope(
    request: HttpRequest, today: dt.date
) -> tuple[list[Deadline], list[tuple[str, str]], str, bool, CafChoice]:
    """The tasks the user sees, filtered on the server: by ``?caf=`` (the collectivités of one
    Caf), by ``?type=`` (only that kind's queries run) and, with ``?qui=moi``, to those the
    user must act on; the kinds listed; the requested kind; whether only the user's own tasks
    are kept; the Caf filter."""
    cafs = caf_choice(request)
    kinds = sorted(DEADLINE_KINDS.items(), key=lambda k: k[1])
    kind = request.GET.get("type", "")
    if kind not in DEADLINE_KINDS:
        kind = ""
    collectivites = visible_collectivites(request.user)
    if cafs.chosen is not None:
        collectivites = collectivites.filter(caf=cafs.chosen)
    items = tasks_of(collectivites, today, kind)
    mine_only = request.GET.get("qui") == "moi"
    if mine_only:
        items = [d for d in items if actionable_by(request.user, d)]
    return items, kinds, kind, mine_only, cafs


CALENDAR_NEEDS_CAF = (
    "Choisissez une Caf (paramètre « caf », par exemple ?caf=37) : l'agenda des échéances "
    "se prend Caf par Caf.\n"
)


def deadlines(request: HttpRequest) -> HttpResponse:
    today = _today()
    items, kinds, kind, mine_only, cafs = _deadlines_in_scope(request, today)
    query = {
        key: value
        for key, value in (("caf", cafs.code), ("type", kind), ("qui", "moi" if mine_only else ""))
    }
    query = {key: value for key, value in query.items() if value}
    calendar_url = reverse("deadlines:calendar")
    if query:
        calendar_url += "?" + urlencode(query)
    pagination = paginate(request, items, label="Pages des échéances")
    # Who must act is marked on the page's rows only.
    pagination.page.object_list = for_reader(request.user, pagination.page.object_list)
    return render(
        request,
        "dashboards/deadlines.html",
        {
            "deadlines": pagination.page.object_list,
            "pagination": pagination,
            "caf_choice": cafs,
            "today": today,
            "kinds": kinds,
            "kind": kind,
            "mine_only": mine_only,
            "calendar_url": calendar_url,
            "calendar_needs_caf": cafs.shown and cafs.chosen is None,
            "crumbs": _crumbs(("Échéances", None)),
        },
    )


def deadlines_calendar(request: HttpRequest) -> HttpResponse:
    """The page's deadlines (same scope, same ``?type=``) as an iCalendar file; one Caf at a
    time for a person who sees several (the national analyst): a calendar of every deadline
    of France would be unreadable, and would grow with it."""
    items, _, _, _, cafs = _deadlines_in_scope(request, _today())
    if cafs.shown and cafs.chosen is None:
        return HttpResponseBadRequest(CALENDAR_NEEDS_CAF, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        services.deadlines_calendar(items),  # UIDs and links from COOPCTG_BASE_URL: stable
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="echeances-coopctg.ics"
    )
    return response
