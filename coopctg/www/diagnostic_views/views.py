"""Pages of mission 2 of a Ctg: the diagnostic partagé (versions, enjeux, validation in Copil,
PDF), the register of the besoins exprimés par les familles (synthesis, XLSX), the commissions
d'admission (shares, alerts and their follow-up) and the objectifs de développement.

Scoping (:mod:`coopctg.diagnostic.access`): whoever sees the Ctg reads; the editors of a
signatory, the Caf admin and the assigned advisor change; anyone else gets a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from coopctg.accounts.access import get_ctg_for_user
from coopctg.core.params import ParameterError
from coopctg.core.themes import THEME_CHOICES, Theme
from coopctg.ctg.models import Ctg
from coopctg.diagnostic import access, documents, register, services
from coopctg.diagnostic import commissions as commission_service
from coopctg.diagnostic import needs as need_service
from coopctg.diagnostic import targets as target_service
from coopctg.diagnostic.forms import (
    AttributionForm,
    CommissionForm,
    DiagnosticForm,
    EnjeuForm,
    FollowUpForm,
    NeedForm,
    RegisterImportForm,
    TargetForm,
    ValidationForm,
)
from coopctg.diagnostic.models import (
    Commission,
    CommissionFollowUp,
    DevelopmentTarget,
    Diagnostic,
    Enjeu,
    Need,
)
from coopctg.diagnostic.rules import CRITERION_LABELS, Criterion, FollowUpStep, percent_text
from coopctg.governance.models import Highlight
from coopctg.www.documents_views.respond import serve_pdf

NEEDS_PER_PAGE = 100


def _crumbs(ctg: Ctg, *items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Ctg", reverse("ctg:list")),
        (ctg.intitule, reverse("ctg:detail", args=[ctg.pk])),
        *items,
    ]


def _mission(ctg: Ctg) -> tuple[str, str]:
    return ("Diagnostic et besoins", reverse("diagnostic:ctg", args=[ctg.pk]))


# --- Overview -----------------------------------------------------------------------------------


def ctg_overview(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    today = timezone.localdate()
    all_versions = list(services.versions(ctg))
    latest = all_versions[0] if all_versions else None
    year = today.year
    states = commission_service.commission_states(commission_service.ctg_commissions(ctg)[:20])
    return render(
        request,
        "diagnostic/ctg.html",
        {
            "ctg": ctg,
            "today": today,
            "year": year,
            "versions": all_versions,
            "latest": latest,
            "content": services.diagnostic_content(latest) if latest else None,
            "validated": services.validated_version(ctg),
            "synthesis": need_service.year_synthesis(ctg, year),
            "states": states,
            "open_alerts": [line for state in states for line in state.open_alerts],
            "outcomes": target_service.development_outcomes(ctg, today),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, ("Diagnostic et besoins", None)),
        },
    )


# --- Versions -----------------------------------------------------------------------------------


def _version_form_page(
    request: HttpRequest, ctg: Ctg, diagnostic: Diagnostic, title: str
) -> HttpResponse:
    form = DiagnosticForm(request.POST or None, instance=diagnostic, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        try:
            if instance.pk is None:
                services.create_version(request.user, instance, form.cleaned_data["instances"])
            else:
                services.save_version(request.user, instance, form.cleaned_data["instances"])
        except services.DiagnosticError as error:
            messages.error(request, error.message)
            return redirect(reverse("diagnostic:ctg", args=[ctg.pk]))
        messages.success(request, f"La version {instance.version} du diagnostic est enregistrée.")
        return redirect(reverse("diagnostic:version", args=[instance.pk]))
    return render(
        request,
        "diagnostic/version_form.html",
        {
            "ctg": ctg,
            "form": form,
            "diagnostic": diagnostic,
            "title": title,
            "crumbs": _crumbs(ctg, _mission(ctg), (title, None)),
        },
        status=400 if form.errors else 200,
    )


def version_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    draft = services.versions(ctg).filter(copil__isnull=True).first()
    if draft is not None:
        messages.error(
            request,
            f"La version {draft.version} est encore en cours : complétez-la ou faites-la "
            "valider en Copil avant d'en ouvrir une autre.",
        )
        return redirect(reverse("diagnostic:version", args=[draft.pk]))
    previous = services.latest_version(ctg)
    diagnostic = Diagnostic(ctg=ctg, date=timezone.localdate())
    if previous is not None:  # the next version starts from the last one
        for name in ("titre", "contexte", "partenaires", "habitants", "methode"):
            setattr(diagnostic, name, getattr(previous, name))
    title = "Nouvelle version du diagnostic" if previous else "Premier diagnostic partagé"
    return _version_form_page(request, ctg, diagnostic, title)


def _refuse_validated(request: HttpRequest, diagnostic: Diagnostic) -> HttpResponse | None:
    if diagnostic.validated:
        messages.error(
            request,
            f"La version {diagnostic.version} est validée en Copil : elle ne change plus. "
            "Créez une nouvelle version pour la faire évoluer.",
        )
        return redirect(reverse("diagnostic:version", args=[diagnostic.pk]))
    return None


def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    diagnostic = access.get_diagnostic_for_editor(request.user, pk)
    refused = _refuse_validated(request, diagnostic)
    if refused:
        return refused
    title = f"Modifier la version {diagnostic.version}"
    return _version_form_page(request, diagnostic.ctg, diagnostic, title)


def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    diagnostic = access.get_diagnostic_for_user(request.user, pk)
    ctg = diagnostic.ctg
    return render(
        request,
        "diagnostic/version.html",
        {
            "ctg": ctg,
            "diagnostic": diagnostic,
            "content": services.diagnostic_content(diagnostic),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), (f"Version {diagnostic.version}", None)),
        },
    )


def version_validate(request: HttpRequest, pk: int) -> HttpResponse:
    diagnostic = access.get_diagnostic_for_editor(request.user, pk)
    refused = _refuse_validated(request, diagnostic)
    if refused:
        return refused
    ctg = diagnostic.ctg
    form = ValidationForm(request.POST or None, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        try:
            services.validate_version(request.user, diagnostic, form.cleaned_data["copil"])
        except services.DiagnosticError as error:
            form.add_error("copil", error.message)
        else:
            messages.success(
                request, f"La version {diagnostic.version} est enregistrée comme validée en Copil."
            )
            return redirect(reverse("diagnostic:version", args=[diagnostic.pk]))
    title = f"Validation en Copil de la version {diagnostic.version}"
    return render(
        request,
        "diagnostic/validate.html",
        {
            "ctg": ctg,
            "diagnostic": diagnostic,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                (f"Version {diagnostic.version}", reverse("diagnostic:version", args=[pk])),
                ("Validation", None),
            ),
        },
        status=400 if form.errors else 200,
    )


def version_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The diagnostic's PDF, made by the task worker (coopctg.www.documents_views.respond)."""
    diagnostic = access.get_diagnostic_for_user(request.user, pk)
    return serve_pdf(
        request,
        "diagnostic",
        lambda: documents.diagnostic_html(diagnostic),
        filename=documents.pdf_filename(diagnostic),
        title=f"Diagnostic partagé, version {diagnostic.version}",
        back=(reverse("diagnostic:version", args=[pk]), f"Version {diagnostic.version}"),
    )


# --- Enjeux -------------------------------------------------------------------------------------


def _enjeu_form_page(
    request: HttpRequest, diagnostic: Diagnostic, enjeu: Enjeu, title: str
) -> HttpResponse:
    ctg = diagnostic.ctg
    version_url = reverse("diagnostic:version", args=[diagnostic.pk])
    if request.method == "POST" and request.POST.get("supprimer") and enjeu.pk:
        services.delete_enjeu(request.user, enjeu)
        messages.success(request, f"L'enjeu « {enjeu.intitule} » est supprimé.")
        return redirect(version_url)
    form = EnjeuForm(request.POST or None, instance=enjeu, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        instance.indicateurs = list(form.cleaned_data["indicateurs"])
        services.save_enjeu(
            request.user, instance, form.cleaned_data["actions"], form.cleaned_data["objectifs"]
        )
        messages.success(request, "L'enjeu est enregistré.")
        return redirect(f"{version_url}#enjeu-{instance.pk}")
    return render(
        request,
        "diagnostic/enjeu_form.html",
        {
            "ctg": ctg,
            "diagnostic": diagnostic,
            "enjeu": enjeu,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                (f"Version {diagnostic.version}", version_url),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def enjeu_create(request: HttpRequest, pk: int) -> HttpResponse:
    diagnostic = access.get_diagnostic_for_editor(request.user, pk)
    refused = _refuse_validated(request, diagnostic)
    if refused:
        return refused
    theme = request.GET.get("theme", "")
    enjeu = Enjeu(diagnostic=diagnostic, theme=theme if theme in Theme else "")
    return _enjeu_form_page(request, diagnostic, enjeu, "Nouvel enjeu")


def enjeu_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enjeu = access.get_enjeu_for_editor(request.user, pk)
    refused = _refuse_validated(request, enjeu.diagnostic)
    if refused:
        return refused
    return _enjeu_form_page(request, enjeu.diagnostic, enjeu, "Modifier l'enjeu")


# --- Besoins ------------------------------------------------------------------------------------


def needs(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    years = need_service.years_of(ctg)
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = 0
    year = year if year in years else 0
    theme = request.GET.get("theme", "")
    theme = theme if theme in Theme else ""
    queryset = need_service.ctg_needs(ctg)
    if year:
        queryset = queryset.filter(date__year=year)
    if theme:
        queryset = queryset.filter(theme=theme)
    rows = list(queryset)
    page = Paginator(rows, NEEDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "diagnostic/needs.html",
        {
            "ctg": ctg,
            "page": page,
            "synthesis": need_service.need_synthesis(rows),
            "years": years,
            "year": year,
            "theme": theme,
            "theme_choices": THEME_CHOICES,
            "filtered": bool(year or theme),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Besoins exprimés par les familles", None)),
        },
    )


def _need_form_page(request: HttpRequest, ctg: Ctg, need: Need, title: str) -> HttpResponse:
    form = NeedForm(request.POST or None, instance=need, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        need_service.save_need(request.user, form.save(commit=False))
        messages.success(request, "Le besoin est enregistré au registre.")
        if request.POST.get("encore"):
            return redirect(reverse("diagnostic:need_create", args=[ctg.pk]))
        return redirect(reverse("diagnostic:needs", args=[ctg.pk]))
    return render(
        request,
        "diagnostic/need_form.html",
        {
            "ctg": ctg,
            "need": need,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Besoins", reverse("diagnostic:needs", args=[ctg.pk])),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def need_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    need = Need(ctg=ctg, date=timezone.localdate())
    return _need_form_page(request, ctg, need, "Nouveau besoin")


def need_edit(request: HttpRequest, pk: int) -> HttpResponse:
    need = access.get_need_for_editor(request.user, pk)
    return _need_form_page(request, need.ctg, need, "Modifier un besoin")


def needs_xlsx(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    response = HttpResponse(register.export_register(ctg), content_type=register.CONTENT_TYPE)
    name = f"besoins-{slugify(ctg.intitule) or ctg.pk}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def needs_import(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    errors: list[Any] = []
    posted = request.method == "POST"
    form = RegisterImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            report = register.import_register(request.user, ctg, form.cleaned_data["fichier"])
        except register.RegisterImportError as error:
            errors = error.errors
        else:
            messages.success(request, report.summary())
            return redirect(reverse("diagnostic:needs", args=[ctg.pk]))
    return render(
        request,
        "diagnostic/needs_import.html",
        {
            "ctg": ctg,
            "form": form,
            "errors": errors,
            "columns": list(register.COLUMNS.values()),
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Besoins", reverse("diagnostic:needs", args=[ctg.pk])),
                ("Importer le registre", None),
            ),
        },
        status=400 if posted else 200,
    )


# --- Commissions ---------------------------------------------------------------------------------


def _parameters_note(ctg: Ctg, day: dt.date) -> dict[str, Any]:
    """The thresholds in force on ``day`` with their sources, for the pages."""
    try:
        parameters = commission_service.parameters_for_caf(ctg.caf.code)
    except ParameterError:
        return {"available": False, "thresholds": [], "minimum": None, "qf": None}
    try:
        minimum = parameters.minimum_count_at(day)
    except ParameterError:
        minimum = None
    return {
        "available": True,
        "thresholds": [
            (criterion, parameters.threshold_at(criterion, day)) for criterion in Criterion
        ],
        "minimum": minimum,
        "qf": parameters.qf_ceiling_at(day),
    }


def commissions(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    states = commission_service.commission_states(commission_service.ctg_commissions(ctg))
    return render(
        request,
        "diagnostic/commissions.html",
        {
            "ctg": ctg,
            "states": states,
            "criteria": list(Criterion),
            "parameters": _parameters_note(ctg, timezone.localdate()),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Commissions d'admission", None)),
        },
    )


def _qf_text(ctg: Ctg, day: dt.date) -> str:
    note = _parameters_note(ctg, day)
    qf = note["qf"]
    if qf is None:
        return ""
    return f"{qf.value.normalize():f}\u00a0€".replace(".", ",")


def _commission_form_page(
    request: HttpRequest, ctg: Ctg, commission: Commission, title: str
) -> HttpResponse:
    form = CommissionForm(
        request.POST or None,
        instance=commission,
        ctg=ctg,
        qf_ceiling=_qf_text(ctg, commission.date or timezone.localdate()),
    )
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        try:
            commission_service.save_commission(request.user, instance)
        except commission_service.CommissionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "La commission est enregistrée.")
            return redirect(reverse("diagnostic:commission", args=[instance.pk]))
    return render(
        request,
        "diagnostic/commission_form.html",
        {
            "ctg": ctg,
            "commission": commission,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Commissions d'admission", reverse("diagnostic:commissions", args=[ctg.pk])),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def commission_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    return _commission_form_page(
        request, ctg, Commission(ctg=ctg), "Nouvelle commission d'admission"
    )


def commission_edit(request: HttpRequest, pk: int) -> HttpResponse:
    commission = access.get_commission_for_editor(request.user, pk)
    return _commission_form_page(
        request, commission.ctg, commission, f"Modifier : {commission.intitule}"
    )


def commission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    commission = access.get_commission_for_user(request.user, pk)
    ctg = commission.ctg
    return render(
        request,
        "diagnostic/commission.html",
        {
            "ctg": ctg,
            "commission": commission,
            "state": commission_service.state_of(commission),
            "parameters": _parameters_note(ctg, commission.date),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Commissions d'admission", reverse("diagnostic:commissions", args=[ctg.pk])),
                (str(commission), None),
            ),
        },
    )


def follow_up(request: HttpRequest, pk: int, critere: str) -> HttpResponse:
    commission = access.get_commission_for_editor(request.user, pk)
    state = commission_service.state_of(commission)
    line = state.alert_for(critere)
    if line is None:
        raise Http404("Page introuvable.")
    existing = line.follow_up
    instance = existing or CommissionFollowUp(
        commission=commission,
        critere=critere,
        etape=FollowUpStep.ALERTER.value,
        quand=timezone.localdate(),
    )
    form = FollowUpForm(request.POST or None, instance=instance)
    detail_url = reverse("diagnostic:commission", args=[commission.pk])
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.commission, saved.critere = commission, critere
        try:
            commission_service.save_follow_up(request.user, saved)
        except commission_service.CommissionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Le suivi est enregistré : l'alerte est close.")
            return redirect(f"{detail_url}#alerte-{critere}")
    ctg = commission.ctg
    title = f"Suivi de l'alerte : {CRITERION_LABELS[Criterion(critere)]}"
    return render(
        request,
        "diagnostic/follow_up_form.html",
        {
            "ctg": ctg,
            "commission": commission,
            "line": line,
            "form": form,
            "title": title,
            "share_text": percent_text(line.alert.share),
            "threshold_text": percent_text(line.alert.threshold.value),
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Commissions d'admission", reverse("diagnostic:commissions", args=[ctg.pk])),
                (str(commission), detail_url),
                ("Suivi de l'alerte", None),
            ),
        },
        status=400 if form.errors else 200,
    )


# --- Objectifs de développement ------------------------------------------------------------------


def targets(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    today = timezone.localdate()
    return render(
        request,
        "diagnostic/targets.html",
        {
            "ctg": ctg,
            "today": today,
            "outcomes": target_service.development_outcomes(ctg, today),
            "several": ctg.signataires.count() > 1,
            "ended": ctg.date_fin < today,
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Objectifs de développement", None)),
        },
    )


def target_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    target = DevelopmentTarget(ctg=ctg)
    initial: dict[str, Any] = {}
    if request.GET.get("collectivite", "").isdigit():
        initial["collectivite"] = int(request.GET["collectivite"])
    if request.GET.get("nature") in {"service", "partenariat", "competence"}:
        initial["kind"] = request.GET["nature"]
    form = TargetForm(request.POST or None, instance=target, ctg=ctg, initial=initial)
    page_url = reverse("diagnostic:targets", args=[ctg.pk])
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        try:
            target_service.save_target(request.user, instance)
        except target_service.TargetError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "L'objectif de développement est enregistré.")
            return redirect(page_url)
    title = "Fixer ou modifier un objectif de développement"
    return render(
        request,
        "diagnostic/target_form.html",
        {
            "ctg": ctg,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg, _mission(ctg), ("Objectifs de développement", page_url), (title, None)
            ),
        },
        status=400 if form.errors else 200,
    )


def attributions(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    highlights = list(Highlight.objects.filter(ctg=ctg).order_by("date", "id"))
    current = target_service.highlight_attributions(ctg)
    initial = {f"fait_{h.pk}": current.get(h.pk, []) for h in highlights}
    form = AttributionForm(request.POST or None, ctg=ctg, highlights=highlights, initial=initial)
    page_url = reverse("diagnostic:targets", args=[ctg.pk])
    if request.method == "POST" and form.is_valid():
        for highlight in highlights:
            target_service.set_attributions(
                request.user, highlight, form.cleaned_data[f"fait_{highlight.pk}"]
            )
        messages.success(request, "Les faits marquants sont rattachés.")
        return redirect(page_url)
    title = "Faits marquants : pour quelle collectivité ?"
    return render(
        request,
        "diagnostic/attributions.html",
        {
            "ctg": ctg,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg, _mission(ctg), ("Objectifs de développement", page_url), (title, None)
            ),
        },
        status=400 if form.errors else 200,
    )
