"""Bilan annuel pages: the list of the reports a user sees (per Cof and year, with deadline
and lateness), creation of a year's report, the report page (self-assessment grouped by
mission → objectif → attendu, prefilled facts, history, payment of the year), the Caf's
decisions and the PDF.

Access through :mod:`coopctg.reports.access` (404 for what a user may not see or do); every
change through :mod:`coopctg.reports.workflow`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coopctg.agreements import access as cof_access
from coopctg.core.params import ParameterError
from coopctg.reports import workflow
from coopctg.reports.access import get_report_for_user
from coopctg.reports.documents import report_context
from coopctg.reports.forms import AssessmentForm, DecisionForm, apply_error
from coopctg.reports.models import AnnualReport
from coopctg.reports.rules import STATUS_LABELS, Level, Status, editable, transmission_refusal
from coopctg.reports.services import _state
from coopctg.www.documents_views.respond import serve_pdf
from coopctg.www.pagination import caf_choice, paginate


def _not_found() -> Http404:
    return Http404("Page introuvable.")


# --- List ----------------------------------------------------------------------------------

#: The « Où en est-il ? » filter of the list: code → (label, test on a row).
STATE_FILTERS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "a_rediger": (
        "à rédiger ou à transmettre",
        lambda row: row["report"] is None or row["report"].status is Status.BROUILLON,
    ),
    "a_completer": (
        "à compléter",
        lambda row: row["report"] is not None and row["report"].status is Status.A_COMPLETER,
    ),
    "a_valider": (
        "à valider par la Caf",
        lambda row: row["report"] is not None and row["report"].status is Status.TRANSMIS,
    ),
    "valide": (
        "validés",
        lambda row: row["report"] is not None and row["report"].status is Status.VALIDE,
    ),
    "en_retard": ("en retard", lambda row: row["state"] is not None and row["state"].late),
}


#: The columns of a report the list shows: never its frozen facts (``faits``, the heaviest
#: JSON of the application) nor its texts.
LIST_FIELDS = ("id", "cof_id", "annee", "statut", "transmis_le", "premiere_transmission_le")


def _with_state(row: dict[str, Any], today: dt.date) -> None:
    """The row's deadline and timeliness (None when the Caf has no deadline parameter)."""
    try:
        row["state"] = _state(row["cof"], row["year"], row["report"], today)
    except ParameterError:
        row["state"] = None


def report_list(request: HttpRequest) -> HttpResponse:
    """Every (Cof, year) of the user's scope, filtered on the server (Caf, year, state, Cof) and
    cut in pages of :data:`~coopctg.www.pagination.PER_PAGE`: the scope is read as light
    tuples (a Cof's key and dates, one query), the rows of the page only are read as Cof and
    reports (two queries); never a report's facts. The state filter alone reads every row's
    Cof and report (its lateness decides which rows are kept)."""
    today = workflow.today()
    cafs = caf_choice(request)
    cofs_qs = (
        cof_access.visible_cofs(request.user)
        .select_related("ctg__caf", "collectivite")
        .only(
            "id",
            "numero",
            "date_debut",
            "date_fin",
            "collectivite_id",
            "collectivite__nom",
            "ctg_id",
            "ctg__caf_id",
            "ctg__caf__code",
        )
        .order_by("collectivite__nom", "-date_debut", "numero", "pk")
    )
    if cafs.chosen is not None:
        cofs_qs = cofs_qs.filter(ctg__caf=cafs.chosen)
    cof_filter = request.GET.get("cof", "")
    if cof_filter.isdigit():
        cofs_qs = cofs_qs.filter(pk=int(cof_filter))
    else:
        cof_filter = ""
    scope = list(cofs_qs.values_list("pk", "date_debut", "date_fin"))
    years = sorted(
        {y for _, debut, fin in scope for y in range(debut.year, fin.year + 1) if y <= today.year},
        reverse=True,
    )
    annee = request.GET.get("annee", "")
    chosen = int(annee) if annee.isdigit() and int(annee) in years else None
    pairs = [
        (pk, year)
        for pk, debut, fin in scope
        for year in range(min(fin.year, today.year), debut.year - 1, -1)
        if chosen is None or year == chosen
    ]
    etat = request.GET.get("etat", "")
    if etat in STATE_FILTERS:  # the state of every row decides which are kept
        rows = _report_rows(pairs, cofs_qs, chosen)
        for row in rows:
            _with_state(row, today)
        keep = STATE_FILTERS[etat][1]
        pagination = paginate(request, [row for row in rows if keep(row)], label="Pages des bilans")
        rows = list(pagination.page.object_list)
    else:
        etat = ""
        pagination = paginate(request, pairs, label="Pages des bilans")
        page = list(pagination.page.object_list)
        rows = _report_rows(page, cofs_qs.filter(pk__in={pk for pk, _ in page}), chosen)
    for row in rows:
        if "state" not in row:
            _with_state(row, today)
        row["can_create"] = row["report"] is None and workflow.can_write(request.user, row["cof"])
    return render(
        request,
        "reports/list.html",
        {
            "rows": rows,
            "pagination": pagination,
            "caf_choice": cafs,
            "cof_filter": cof_filter,
            "years": years,
            "annee": chosen,
            "today": today,
            "etat": etat,
            "etats": [(code, label) for code, (label, _) in STATE_FILTERS.items()],
        },
    )


def _report_rows(
    pairs: list[tuple[int, int]], cofs_qs: Any, chosen: int | None
) -> list[dict[str, Any]]:
    """The rows of the (Cof key, year) ``pairs``, in their order: the Cof of ``cofs_qs`` and
    their reports (light columns), two queries."""
    cofs = {cof.pk: cof for cof in cofs_qs}
    reports_qs = AnnualReport.objects.filter(cof__in=cofs_qs.values("pk")).only(*LIST_FIELDS)
    if chosen is not None:
        reports_qs = reports_qs.filter(annee=chosen)
    reports = {(r.cof_id, r.annee): r for r in reports_qs}
    rows = []
    for pk, year in pairs:
        report = reports.get((pk, year))
        rows.append(
            {
                "cof": cofs[pk],
                "year": year,
                "status_label": STATUS_LABELS[report.status] if report else "non commencé",
                "report": report,
            }
        )
    return rows


@require_POST
def report_create(request: HttpRequest, cof_pk: int, annee: int) -> HttpResponse:
    cof = cof_access.get_cof_for_user(request.user, cof_pk)
    if not workflow.can_write(request.user, cof):
        raise _not_found()
    existing = AnnualReport.objects.filter(cof=cof, annee=annee).first()
    if existing is not None:
        return redirect(reverse("reports:detail", args=[existing.pk]))
    try:
        report = workflow.do_create_report(request.user, cof, annee)
    except workflow.ReportError as error:
        messages.error(request, error.message)
        return redirect(reverse("reports:list"))
    messages.success(request, f"Le bilan {annee} est créé : complétez-le, puis transmettez-le.")
    return redirect(reverse("reports:detail", args=[report.pk]))


# --- One report ----------------------------------------------------------------------------


def _rows(form: AssessmentForm | None, context: dict[str, Any]) -> None:
    """Attach the bound fields of each assessment to the mission blocks, and each mission's
    progress: its attendus « renseignés » (a level beyond « non engagé », or a comment)."""
    for number, mission in enumerate(context["missions"], start=1):
        mission.anchor = f"mission-{number}"
        mission.filled = sum(1 for a in mission.assessments if _filled(a))
        for block in mission.objectives:
            block.rows = [
                {
                    "assessment": a,
                    "level": form[f"niveau_{a.pk}"] if form else None,
                    "comment": form[f"commentaire_{a.pk}"] if form else None,
                }
                for a in block.assessments
            ]
    context["filled"] = sum(m.filled for m in context["missions"])


def _filled(assessment: Any) -> bool:
    return assessment.niveau != Level.NON_ENGAGE or bool(assessment.commentaire.strip())


#: Where « Enregistrer » sends back to: the section saved (its anchor on the page).
SECTIONS = re.compile(r"^(textes|mission-[1-9][0-9]?)$")


@dataclass(frozen=True)
class Refused:
    """An action refused because the bilan changed meanwhile: what to tell the user, and the
    comment they typed (not recorded), shown back so that it is not lost."""

    message: str
    comment: str = ""


#: An assessment saved while the bilan is no longer editable (transmitted in another tab).
NOT_SAVED = "Ce bilan a été transmis entre-temps : vos modifications n'ont pas été enregistrées."


def _decision_shown(user: Any, report: AnnualReport, key: str) -> bool:
    """Whether the page shows the form of the decision ``key`` for the report as it is now."""
    if key == "transmit":
        return (
            workflow.can_write(user, report.cof)
            and editable(report.status)
            and transmission_refusal(report.annee, report.cof.date_fin, workflow.today()) is None
        )
    return workflow.can_review(user, report.cof) and report.status is Status.TRANSMIS


def _page(
    request: HttpRequest,
    report: AnnualReport,
    *,
    form: AssessmentForm | None = None,
    unsaved: bool = False,
    decision: DecisionForm | None = None,
    decision_action: str = "",
    refused: Refused | None = None,
    confirm_transmit: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The report page. ``unsaved``: ``form`` holds what the user submitted while the report
    was no longer editable; it is shown disabled under an alert, so nothing typed is lost.
    ``confirm_transmit``: the bilan is saved and the page asks to confirm its transmission
    (with the comment typed for the Caf)."""
    user = request.user
    today = workflow.today()
    context = report_context(report, today=today)
    writer = workflow.can_write(user, report.cof)
    reviewer = workflow.can_review(user, report.cof)
    can_edit = writer and editable(report.status)
    refusal = transmission_refusal(report.annee, report.cof.date_fin, today) if can_edit else None
    if form is None and can_edit:
        assessments = [a for m in context["missions"] for a in m.assessments]
        form = AssessmentForm(
            assessments=assessments,
            initial={
                "revision": report.revision,
                "synthese": report.synthese,
                "perspectives": report.perspectives,
            },
        )
    shown = form if (can_edit or unsaved) else None
    _rows(shown, context)

    def blank(key: str) -> DecisionForm:
        if decision is not None and decision_action == key:
            return decision
        return DecisionForm(initial={"revision": report.revision}, prefix=key)

    context |= {
        "form": shown,
        "unsaved": unsaved,
        "refused": refused,
        "can_edit": can_edit,
        "can_transmit": can_edit and refusal is None,
        "transmission_refusal": refusal,
        "can_decide": reviewer and report.status is Status.TRANSMIS,
        "transmit_form": blank("transmit"),
        "send_back_form": blank("send_back"),
        "validate_form": blank("validate"),
        "events": list(report.evenements.select_related("auteur").order_by("cree_le", "id")),
        "confirm_transmit": confirm_transmit is not None and can_edit and refusal is None,
        "confirm_comment": confirm_transmit or "",
        "comment_max": workflow.COMMENT_MAX,
    }
    return render(request, "reports/detail.html", context, status=status)


def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)
    if request.method != "POST":
        return _page(request, report)
    if not workflow.can_write(request.user, report.cof):
        raise _not_found()
    from coopctg.reports.documents import assessments_of

    form = AssessmentForm(request.POST, assessments=assessments_of(report))
    transmit = "transmettre" in request.POST  # saved first, then the transmission confirmed
    if form.is_valid():
        revision = form.cleaned_data["revision"]
        try:
            workflow.do_save(request.user, report, form.to_input(), revision=revision)
        except workflow.ReportError as error:
            apply_error(form, error)
        else:
            if transmit:
                report.refresh_from_db()
                refusal = transmission_refusal(report.annee, report.cof.date_fin, workflow.today())
                if refusal is not None:  # saved all the same: nothing typed is lost
                    messages.error(
                        request, f"Le bilan est enregistré, mais {refusal[0].lower()}{refusal[1:]}"
                    )
                    return _page(request, report, status=400)
                comment = str(request.POST.get("transmit-commentaire", "")).strip()
                return _page(request, report, confirm_transmit=comment)
            messages.success(request, "Le bilan est enregistré.")
            section = str(request.POST.get("section", ""))
            anchor = f"#{section}" if SECTIONS.match(section) else ""
            return redirect(reverse("reports:detail", args=[report.pk]) + anchor)
    report.refresh_from_db()
    if not editable(report.status):  # transmitted meanwhile (another tab, another editor)
        return _page(
            request, report, form=form, unsaved=True, refused=Refused(NOT_SAVED), status=409
        )
    return _page(request, report, form=form, status=400)


def _decide(
    request: HttpRequest,
    pk: int,
    allowed: Callable[[Any, Any], bool],
    key: str,
    apply: Callable[[AnnualReport, str, int], AnnualReport],
    success: str,
) -> HttpResponse:
    report = get_report_for_user(request.user, pk)
    if not allowed(request.user, report.cof):
        raise _not_found()
    form = DecisionForm(request.POST, prefix=key)
    refused = ""
    if form.is_valid():
        try:
            apply(report, form.cleaned_data["commentaire"], form.cleaned_data["revision"])
        except workflow.ReportError as error:
            apply_error(form, error)
            refused = error.message
        else:
            messages.success(request, success)
            return redirect(reverse("reports:detail", args=[report.pk]))
    report.refresh_from_db()
    if not _decision_shown(request.user, report, key):
        # The bilan changed meanwhile (e.g. validated by another): its form is no longer on
        # the page, so say why here and give the typed comment back.
        comment = str(form.data.get(form.add_prefix("commentaire"), "")).strip()
        message = refused or "Votre action n'a pas été enregistrée : le bilan a changé."
        return _page(request, report, refused=Refused(message, comment), status=409)
    return _page(request, report, decision=form, decision_action=key, status=400)


@require_POST
def report_transmit(request: HttpRequest, pk: int) -> HttpResponse:
    """Transmission is irreversible: without ``transmit-confirme`` the page asks first."""
    if request.POST.get("transmit-confirme") != "1":
        report = get_report_for_user(request.user, pk)
        if not workflow.can_write(request.user, report.cof):
            raise _not_found()
        comment = str(request.POST.get("transmit-commentaire", "")).strip()
        return _page(request, report, confirm_transmit=comment)
    return _decide(
        request,
        pk,
        workflow.can_write,
        "transmit",
        lambda r, c, rev: workflow.do_transmit(request.user, r, c, revision=rev),
        "Le bilan est transmis à la Caf.",
    )


@require_POST
def report_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        workflow.can_review,
        "send_back",
        lambda r, c, rev: workflow.do_send_back(request.user, r, c, revision=rev),
        "Le bilan est renvoyé à la collectivité pour être complété.",
    )


@require_POST
def report_validate(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        workflow.can_review,
        "validate",
        lambda r, c, rev: workflow.do_validate(request.user, r, c, revision=rev),
        "Le bilan est validé : le solde de l'année est libéré.",
    )


def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The bilan's PDF, made by the task worker (README, « Documents préparés en arrière-plan »)."""
    from coopctg.reports.documents import report_html

    report = get_report_for_user(request.user, pk)
    return serve_pdf(
        request,
        "bilan",
        lambda: report_html(report, today=workflow.today()),
        filename=f"bilan-{report.annee}-{report.cof.numero}.pdf",
        title=f"Bilan {report.annee} — Cof n° {report.cof.numero}",
        back=(reverse("reports:detail", args=[pk]), f"Bilan {report.annee}"),
    )
