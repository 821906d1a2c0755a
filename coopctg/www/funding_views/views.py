"""Funding architecture pages: view, edit with live recomputation (htmx), simulator, documents."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coopctg.accounts.access import (
    can_edit_collectivite,
    get_architecture_for_user,
    get_collectivite_for_user,
    get_ctg_for_user,
    scope_of,
    visible_cafs,
)
from coopctg.agreements.access import can_create_cof, visible_cofs
from coopctg.core.params import ParameterError
from coopctg.core.themes import THEME_CHOICES
from coopctg.funding import services
from coopctg.funding.eligibility import declarable_fields, eligibility_of
from coopctg.funding.forms import ArchitectureForm, DeclarationsForm, PersonFormSet, initial_persons
from coopctg.funding.models import FundingArchitecture
from coopctg.funding.rules import FundingResult, Severity
from coopctg.www.documents_views.respond import serve_pdf


def _chart(items: list[tuple[str, Decimal]]) -> list[dict[str, Any]]:
    """Bars for the split charts: label, amount and width in % of the largest."""
    largest = max((amount for _, amount in items), default=Decimal(0))
    return [
        {"label": label, "amount": amount, "width": int(amount * 100 / largest) if largest else 0}
        for label, amount in items
    ]


def _result_context(result: FundingResult, rows: list[services.PersonRow]) -> dict[str, Any]:
    labels = {str(i): row.nom for i, row in enumerate(rows, start=1)}
    anomalies = [
        {
            "anomaly": a,
            "person": labels.get(a.person_id or "", ""),
            "envelope": result.parameters.envelope_label(a.envelope) if a.envelope else "",
            "blocking": a.severity is Severity.BLOCKING,
        }
        for a in result.anomalies
    ]
    return {
        "result": result,
        "groups": services.breakdown(result, rows),
        "anomalies": anomalies,
        "general_anomalies": [a for a in anomalies if not a["anomaly"].person_id],
        "blocking_count": sum(1 for a in anomalies if a["blocking"]),
        "chart_envelopes": _chart(
            [(result.parameters.envelope_label(e.envelope), e.amount) for e in result.envelopes]
        ),
        "chart_persons": _chart([(labels[p.person_id], p.amount) for p in result.persons]),
    }


def architecture_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_architecture_for_user(request.user, pk))


def _detail(
    request: HttpRequest,
    architecture: FundingArchitecture,
    *,
    declarations_error: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = services.stored_rows(architecture)
    working = architecture.kind == FundingArchitecture.Kind.TRAVAIL
    context: dict[str, Any] = {
        "architecture": architecture,
        "ctg": architecture.ctg,
        "collectivite": architecture.collectivite,
        # Only the working architecture changes here: a signed version's is frozen, a
        # request's proposal changes through its request.
        "can_edit": working and can_edit_collectivite(request.user, architecture.collectivite),
        "frozen_reason": "" if working else architecture.frozen_reason() or "",
        "declarations_error": declarations_error,
        "is_caf_staff": bool(scope_of(request.user).caf_ids),
        # The Cofs that fund this collectivité's function in this Ctg, and whether the Caf
        # may sign a new one from this working architecture.
        "cofs": list(
            visible_cofs(request.user)
            .filter(ctg=architecture.ctg, collectivite=architecture.collectivite)
            .order_by("date_debut", "numero")
        ),
        "can_create_cof": working and can_create_cof(request.user, architecture.collectivite),
    }
    result = None
    try:
        result = services.compute_architecture(architecture)
    except ParameterError as error:
        context["parameter_error"] = str(error)
    else:
        context.update(_result_context(result, rows))
    # The conditions, computed from the records (one service for the page, the API…); a
    # declaration is offered only where no record can exist.
    checklist = eligibility_of(architecture, result=result)
    context["checklist"] = checklist
    context["declarations_form"] = DeclarationsForm(
        instance=architecture, declarable=declarable_fields(checklist)
    )
    return render(request, "funding/architecture_detail.html", context, status=status)


@require_POST
def architecture_declarations(request: HttpRequest, pk: int) -> HttpResponse:
    architecture = get_architecture_for_user(request.user, pk)
    if not can_edit_collectivite(request.user, architecture.collectivite):
        raise Http404("Page introuvable.")
    if architecture.kind != FundingArchitecture.Kind.TRAVAIL:  # frozen: say why, change nothing
        reason = architecture.frozen_reason() or (
            "Les déclarations de la collectivité se font sur son architecture de travail."
        )
        return _detail(
            request,
            architecture,
            declarations_error=f"Les déclarations n'ont pas été enregistrées. {reason}",
            status=409,
        )
    declarable = declarable_fields(eligibility_of(architecture))
    form = DeclarationsForm(request.POST, instance=architecture, declarable=declarable)
    if form.is_valid():
        services.save_declarations(request.user, form.save(commit=False), declarable)
        messages.success(request, "Les déclarations sont enregistrées.")
    else:
        messages.error(request, "Les déclarations n'ont pas pu être enregistrées.")
    return redirect(reverse("funding:architecture", args=[pk]))


def architecture_for_ctg(request: HttpRequest, ctg_pk: int, collectivite_pk: int) -> HttpResponse:
    """The architecture of a collectivité for a Ctg: shown if it exists, else created."""
    ctg = get_ctg_for_user(request.user, ctg_pk)
    collectivite = get_collectivite_for_user(request.user, collectivite_pk)
    if not ctg.signataires.filter(pk=collectivite.pk).exists():
        raise Http404("Page introuvable.")
    existing = FundingArchitecture.objects.filter(
        ctg=ctg, collectivite=collectivite, kind=FundingArchitecture.Kind.TRAVAIL
    ).first()
    if existing is not None:
        return redirect(reverse("funding:architecture", args=[existing.pk]))
    if not can_edit_collectivite(request.user, collectivite):
        raise Http404("Page introuvable.")
    architecture = FundingArchitecture(
        ctg=ctg, collectivite=collectivite, date_effet=services.default_date_for(ctg)
    )
    return _edit(request, architecture, [])


def architecture_edit(request: HttpRequest, pk: int) -> HttpResponse:
    architecture = get_architecture_for_user(request.user, pk)
    # Only the working architecture is edited here: a signed version is immutable and a
    # request's proposal is edited through the request.
    if architecture.kind != FundingArchitecture.Kind.TRAVAIL or not can_edit_collectivite(
        request.user, architecture.collectivite
    ):
        raise Http404("Page introuvable.")
    return _edit(request, architecture, services.stored_rows(architecture))


def _preview(
    request: HttpRequest,
    form: Any,
    formset: Any,
    *,
    caf_code: str,
    themes: list[str] | None,
    collectivite: str | None = None,
) -> dict[str, Any]:
    """Compute what the forms describe, or say why not; nothing is saved."""
    if not (form.is_valid() and formset.is_valid()):
        return {"preview_invalid": True}
    data = form.cleaned_data
    engine_input = services.to_engine(
        data["date_effet"],
        formset.rows(),
        base_montant=data.get("base_cej_montant"),
        base_etp=data.get("base_cej_etp"),
        ctg_themes=themes,
        collectivite=collectivite,
    )
    try:
        result = services.compute(engine_input, caf_code)
    except ParameterError as error:
        form.add_error("date_effet", str(error))
        return {"preview_invalid": True}
    return _result_context(result, formset.rows())


def _edit(
    request: HttpRequest, architecture: FundingArchitecture, rows: list[services.PersonRow]
) -> HttpResponse:
    ctg = architecture.ctg
    if request.method == "POST":
        form = ArchitectureForm(request.POST, instance=architecture)
        formset = PersonFormSet(request.POST, prefix="personnes")
    else:
        form = ArchitectureForm(instance=architecture)
        formset = PersonFormSet(initial=initial_persons(rows), prefix="personnes")
    context: dict[str, Any] = {
        "form": form,
        "formset": formset,
        "architecture": architecture,
        "ctg": ctg,
        "collectivite": architecture.collectivite,
    }
    if request.method == "POST":
        context.update(
            _preview(
                request,
                form,
                formset,
                caf_code=ctg.caf.code,
                themes=ctg.themes,
                collectivite=architecture.collectivite.nom,
            )
        )
        if request.htmx:
            return render(request, "funding/_preview.html", context)
        if "ajouter" in request.POST:
            data = request.POST.copy()
            data["personnes-TOTAL_FORMS"] = str(int(data.get("personnes-TOTAL_FORMS", 0)) + 1)
            context["formset"] = PersonFormSet(data, prefix="personnes")
            context["formset"].is_valid()
        elif not context.get("preview_invalid"):
            saved = services.save_architecture(
                request.user, form.save(commit=False), formset.rows()
            )
            messages.success(request, "L'architecture de financement est enregistrée.")
            return redirect(reverse("funding:architecture", args=[saved.pk]))
    elif rows:
        try:
            context.update(_result_context(services.compute_architecture(architecture), rows))
        except ParameterError as error:
            context["parameter_error"] = str(error)
    status = 400 if request.method == "POST" and context.get("preview_invalid") else 200
    return render(request, "funding/architecture_edit.html", context, status=status)


def simulator(request: HttpRequest) -> HttpResponse:
    """Try an architecture without saving anything (any signed-in user)."""
    cafs = list(visible_cafs(request.user).values_list("code", flat=True)[:1])
    caf_code = cafs[0] if cafs else "37"
    themes = [code for code, _ in THEME_CHOICES]
    if request.method == "POST":
        themes = request.POST.getlist("themes") or []
        form = ArchitectureForm(request.POST)
        formset = PersonFormSet(request.POST, prefix="personnes")
    else:
        form = ArchitectureForm(initial={"date_effet": dt.date.today()})
        formset = PersonFormSet(prefix="personnes")
    context: dict[str, Any] = {
        "form": form,
        "formset": formset,
        "themes": themes,
        "theme_choices": THEME_CHOICES,
        "caf_code": caf_code,
    }
    if request.method == "POST":
        context.update(_preview(request, form, formset, caf_code=caf_code, themes=themes))
        if request.htmx:
            return render(request, "funding/_preview.html", context)
        if "ajouter" in request.POST:
            data = request.POST.copy()
            data["personnes-TOTAL_FORMS"] = str(int(data.get("personnes-TOTAL_FORMS", 0)) + 1)
            context["formset"] = PersonFormSet(data, prefix="personnes")
            context["formset"].is_valid()
    return render(request, "funding/simulator.html", context)


def architecture_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from coopctg.funding.documents import architecture_xlsx as build

    architecture = get_architecture_for_user(request.user, pk)
    response = HttpResponse(
        build(architecture),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="ventilation-{architecture.collectivite.code}.xlsx"'
    )
    return response


def architecture_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The annexe financière, made by the task worker (coopctg.www.documents_views.respond)."""
    from coopctg.funding.documents import annexe_html

    architecture = get_architecture_for_user(request.user, pk)
    return serve_pdf(
        request,
        "annexe",
        lambda: annexe_html(architecture),
        filename=f"annexe-financiere-{architecture.collectivite.code}.pdf",
        title=f"Annexe financière — {architecture.collectivite.nom}",
        back=(reverse("funding:architecture", args=[pk]), "Architecture de financement"),
    )
