"""Pages of a Ctg's plan d'actions: the plan with its filters, a fiche action, its form with
the indicators, the values of a year, the workbook export and import.

Scoping (:mod:`coopctg.actionplan.access`): whoever sees the Ctg reads its plan; the editors of
a signatory, the Caf admin and the assigned advisor change it; anyone else gets a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from coopctg.accounts.access import get_ctg_for_user, scope_of
from coopctg.actionplan import services, workbook
from coopctg.actionplan.access import (
    can_edit_plan,
    get_action_for_editor,
    get_action_for_user,
    get_ctg_for_plan_editor,
)
from coopctg.actionplan.forms import (
    ActionForm,
    ImportForm,
    IndicatorValuesForm,
    indicator_formset,
)
from coopctg.actionplan.models import Action, Indicator
from coopctg.actionplan.rules import (
    OVERDUE_LABEL,
    STATUS_CHOICES,
    ActionFacts,
    ActionStatus,
    format_decimal,
    is_overdue,
    summarize,
)
from coopctg.core.models import AuditEntry
from coopctg.core.templatetags.fr import valeur_historique
from coopctg.core.themes import THEME_CHOICES, THEME_LABELS, Theme
from coopctg.ctg.models import Ctg

# --- The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    """An action as the plan shows it."""

    action: Action
    overdue: bool

    @property
    def status_label(self) -> str:
        return ActionStatus(self.action.statut).label

    overdue_label = OVERDUE_LABEL

    @property
    def theme_labels(self) -> list[str]:
        return self.action.theme_labels()


def _line(action: Action, today: Any) -> ActionLine:
    return ActionLine(action=action, overdue=is_overdue(action.statut, action.date_fin, today))


def _theme_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {"code": code, **group} for code, group in summary["by_theme"].items() if group["actions"]
    ]
    if summary["without_theme"]["actions"]:
        rows.append({"code": "", "label": "Sans thématique", **summary["without_theme"]})
    return rows


def plan(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    today = timezone.localdate()
    actions = services.plan_actions(ctg)
    summary = summarize(
        (ActionFacts(tuple(a.themes), a.statut, a.avancement, a.date_fin) for a in actions),
        today,
    )
    theme = request.GET.get("theme", "")
    theme = theme if theme in {t.value for t in Theme} else ""
    statut = request.GET.get("statut", "")
    statut = statut if statut in {s.value for s in ActionStatus} else ""
    overdue_only = request.GET.get("retard") == "1"
    lines = [_line(action, today) for action in actions]
    shown = [
        line
        for line in lines
        if (not theme or theme in line.action.themes)
        and (not statut or line.action.statut == statut)
        and (not overdue_only or line.overdue)
    ]
    return render(
        request,
        "actionplan/plan.html",
        {
            "ctg": ctg,
            "today": today,
            "lines": shown,
            "total": len(lines),
            "filtered": bool(theme or statut or overdue_only),
            "summary": summary,
            "theme_rows": _theme_rows(summary),
            "filters": {"theme": theme, "statut": statut, "retard": overdue_only},
            "theme_choices": THEME_CHOICES,
            "status_choices": STATUS_CHOICES,
            "years": services.plan_years(ctg, actions),
            "has_indicators": any(a.indicateurs.all() for a in actions),
            "can_edit": can_edit_plan(request.user, ctg),
        },
    )


# --- A fiche action ------------------------------------------------------------------------------

HISTORY_LABELS = {
    "code": "Référence",
    "titre": "Intitulé",
    "description": "Description",
    "themes": "Thématiques",
    "objectifs": "Objectifs",
    "pilote": "Pilote",
    "partenaires": "Partenaires",
    "date_debut": "Début",
    "date_fin": "Fin",
    "statut": "Statut",
    "avancement": "Avancement (%)",
    "libelle": "Indicateur",
    "unite": "Unité",
    "valeur_reference": "Valeur de référence",
    "cible": "Cible",
    "valeurs": "Valeurs",
}


def _history_value(name: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if name == "statut" and value in {s.value for s in ActionStatus}:
        return ActionStatus(value).label
    if name == "valeurs" and isinstance(value, dict):
        return " ; ".join(f"{year} : {_number(v)}" for year, v in value.items())
    if name in {"valeur_reference", "cible"}:
        return _number(value)
    return valeur_historique(value)


def _number(value: Any) -> str:
    try:
        return format_decimal(Decimal(str(value)))
    except ArithmeticError:  # pragma: no cover - history values are written by the app
        return str(value)


def _field_order(change: tuple[str, Any, Any]) -> int:
    """The form's order (PostgreSQL's jsonb does not keep the order of the keys)."""
    names = list(HISTORY_LABELS)
    return names.index(change[0]) if change[0] in names else len(names)


def _history(action: Action, indicators: list[Indicator]) -> list[dict[str, Any]]:
    entries = AuditEntry.objects.filter(
        Q(objet_type=Action._meta.label_lower, objet_id=str(action.pk))
        | Q(
            objet_type=Indicator._meta.label_lower,
            objet_id__in=[str(i.pk) for i in indicators],
        )
    ).order_by("-horodatage", "-id")[:100]
    return [
        {
            "entry": entry,
            "what": (
                "la fiche" if entry.objet_type == Action._meta.label_lower else entry.objet_libelle
            ),
            "changes": [
                (HISTORY_LABELS.get(name, name), _history_value(name, b), _history_value(name, a))
                for name, b, a in sorted(entry.changes(), key=_field_order)
            ],
        }
        for entry in entries
    ]


def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request.user, pk)
    ctg = action.ctg
    today = timezone.localdate()
    indicators = list(action.indicateurs.order_by("position", "id").prefetch_related("valeurs"))
    objectives = list(services.ordered_objectives().filter(actions=action))
    years = services.plan_years(ctg, [])
    years = sorted({*years, *(v.year for i in indicators for v in i.valeurs.all())})
    show_history = bool(scope_of(request.user).caf_ids)  # the history is the Caf's
    can_edit = can_edit_plan(request.user, ctg)
    return render(
        request,
        "actionplan/action_detail.html",
        {
            "ctg": ctg,
            "action": action,
            "line": _line(action, today),
            "objectives": objectives,
            "indicators": [
                (indicator, [indicator.values_by_year().get(year) for year in years])
                for indicator in indicators
            ],
            "years": years,
            "can_edit": can_edit,
            "deletable": can_edit and not services.dependent_data([action]),
            "history": _history(action, indicators) if show_history else None,
        },
    )


def _action_form_page(request: HttpRequest, ctg: Ctg, action: Action, title: str) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ActionForm(data, instance=action, ctg=ctg)
    formset = indicator_formset(data, action)
    if request.method == "POST":
        form_ok = form.is_valid()
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            instance = form.save(commit=False)
            kept, deleted = formset.inputs()
            services.save_action(
                request.user, instance, form.cleaned_data["objectifs"], kept, deleted
            )
            messages.success(request, f"La fiche action {instance.code} est enregistrée.")
            return redirect(reverse("actionplan:action", args=[instance.pk]))
    return render(
        request,
        "actionplan/action_form.html",
        {
            "ctg": ctg,
            "action": action,
            "form": form,
            "formset": formset,
            "title": title,
            "has_errors": request.method == "POST",
        },
        status=400 if request.method == "POST" else 200,
    )


def action_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_plan_editor(request.user, ctg_pk)
    action = Action(ctg=ctg, code=services.next_code(ctg))
    return _action_form_page(request, ctg, action, "Nouvelle fiche action")


def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_editor(request.user, pk)
    return _action_form_page(request, action.ctg, action, f"Modifier la fiche {action.code}")


@require_POST
def action_delete(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_editor(request.user, pk)
    try:
        services.delete_action(request.user, action)
    except services.ActionProtected as error:
        messages.error(request, str(error))
        return redirect(reverse("actionplan:action", args=[action.pk]))
    messages.success(request, f"La fiche action {action.code} est supprimée.")
    return redirect(reverse("actionplan:plan", args=[action.ctg_id]))


# --- Values of a year -------------------------------------------------------------------------


def indicator_values(request: HttpRequest, ctg_pk: int, year: int) -> HttpResponse:
    ctg = get_ctg_for_plan_editor(request.user, ctg_pk)
    indicators = services.ctg_indicators(ctg)
    years = sorted(
        {*services.plan_years(ctg), *(v.year for i in indicators for v in i.valeurs.all())}
    )
    if year not in years:
        raise Http404("Page introuvable.")
    data = request.POST if request.method == "POST" else None
    form = IndicatorValuesForm(data, indicators=indicators, year=year)
    if request.method == "POST" and form.is_valid():
        changed = services.save_indicator_values(request.user, ctg, year, form.changed_values())
        plural = "s" if changed > 1 else ""
        messages.success(
            request,
            f"Valeurs {year} enregistrées : {changed} indicateur{plural} modifié{plural}.",
        )
        return redirect(reverse("actionplan:plan", args=[ctg.pk]) + "#indicateurs")
    groups: list[dict[str, Any]] = []
    for indicator, field in form.rows():
        if not groups or groups[-1]["action"].pk != indicator.action_id:
            groups.append({"action": indicator.action, "rows": []})
        groups[-1]["rows"].append((indicator, field))
    return render(
        request,
        "actionplan/indicator_values.html",
        {"ctg": ctg, "year": year, "years": years, "form": form, "groups": groups},
        status=400 if form.errors else 200,
    )


# --- Workbook ---------------------------------------------------------------------------------


def _filename(ctg: Ctg) -> str:
    return f"plan-actions-{slugify(ctg.intitule) or ctg.pk}-{timezone.localdate():%Y%m%d}.xlsx"


def export(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    response = HttpResponse(workbook.export_workbook(ctg), content_type=workbook.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _filename(ctg))
    return response


def import_plan(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_plan_editor(request.user, ctg_pk)
    errors: list[services.ImportIssue] = []
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = workbook.import_workbook(request.user, ctg, form.cleaned_data["fichier"])
        except services.PlanImportError as error:
            errors = error.errors
        else:
            messages.success(request, report.summary())
            return redirect(reverse("actionplan:plan", args=[ctg.pk]))
    return render(
        request,
        "actionplan/import.html",
        {
            "ctg": ctg,
            "form": form,
            "errors": errors,
            "action_columns": list(workbook.ACTION_COLUMNS.values()),
            "indicator_columns": list(workbook.INDICATOR_COLUMNS.values()),
            "statuses": [s.label for s in ActionStatus],
            "themes": list(THEME_LABELS.values()),
        },
        status=400 if request.method == "POST" else 200,
    )
